/*
 * Every keyword this client accepts, with aliases, obsolete names and the
 * ones it only recognises to ignore or refuse.  The first entry for a
 * keyword is the name `ssh -G` prints, so the order of aliases matters.
 * Debian's OpenSSH adds the GSSAPI keywords and two keepalive aliases.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "config/config-int.h"

static const struct {
	const char *name;
	enum cfg_kw kw;
} keyword_table[] = {
	/* deprecated and unsupported names */
	{ "protocol", K_IGNORE },
	{ "cipher", K_DEPRECATED },
	{ "fallbacktorsh", K_DEPRECATED },
	{ "globalknownhostsfile2", K_DEPRECATED },
	{ "rhostsauthentication", K_DEPRECATED },
	{ "useblacklistedkeys", K_DEPRECATED },
	{ "userknownhostsfile2", K_DEPRECATED },
	{ "useroaming", K_DEPRECATED },
	{ "usersh", K_DEPRECATED },
	{ "useprivilegedport", K_DEPRECATED },
	{ "afstokenpassing", K_UNSUPPORTED },
	{ "kerberosauthentication", K_UNSUPPORTED },
	{ "kerberostgtpassing", K_UNSUPPORTED },
	{ "rsaauthentication", K_UNSUPPORTED },
	{ "rhostsrsaauthentication", K_UNSUPPORTED },
	{ "compressionlevel", K_UNSUPPORTED },

	{ "gssapiauthentication", K_GSS_AUTH },
	{ "gssapikeyexchange", K_GSS_KEY_EX },
	{ "gssapidelegatecredentials", K_GSS_DELEGATE_CREDS },
	{ "gssapitrustdns", K_GSS_TRUST_DNS },
	{ "gssapiclientidentity", K_GSS_CLIENT_IDENTITY },
	{ "gssapiserveridentity", K_GSS_SERVER_IDENTITY },
	{ "gssapirenewalforcesrekey", K_GSS_RENEWAL_REKEY },
	{ "gssapikexalgorithms", K_GSS_KEX_ALGORITHMS },
	{ "pkcs11provider", K_PKCS11_PROVIDER },
	{ "smartcarddevice", K_PKCS11_PROVIDER },

	{ "forwardagent", K_FORWARD_AGENT },
	{ "forwardx11", K_FORWARD_X11 },
	{ "forwardx11trusted", K_FORWARD_X11_TRUSTED },
	{ "forwardx11timeout", K_FORWARD_X11_TIMEOUT },
	{ "exitonforwardfailure", K_EXIT_ON_FORWARD_FAILURE },
	{ "xauthlocation", K_XAUTH_LOCATION },
	{ "gatewayports", K_GATEWAY_PORTS },
	{ "passwordauthentication", K_PASSWORD_AUTH },
	{ "kbdinteractiveauthentication", K_KBD_INTERACTIVE_AUTH },
	{ "kbdinteractivedevices", K_KBD_INTERACTIVE_DEVICES },
	{ "challengeresponseauthentication", K_KBD_INTERACTIVE_AUTH },
	{ "skeyauthentication", K_KBD_INTERACTIVE_AUTH },
	{ "tisauthentication", K_KBD_INTERACTIVE_AUTH },
	{ "pubkeyauthentication", K_PUBKEY_AUTH },
	{ "dsaauthentication", K_PUBKEY_AUTH },
	{ "hostbasedauthentication", K_HOSTBASED_AUTH },
	{ "identityfile", K_IDENTITY_FILE },
	{ "identityfile2", K_IDENTITY_FILE },
	{ "identitiesonly", K_IDENTITIES_ONLY },
	{ "certificatefile", K_CERTIFICATE_FILE },
	{ "addkeystoagent", K_ADD_KEYS_TO_AGENT },
	{ "identityagent", K_IDENTITY_AGENT },
	{ "hostname", K_HOSTNAME },
	{ "hostkeyalias", K_HOST_KEY_ALIAS },
	{ "proxycommand", K_PROXY_COMMAND },
	{ "port", K_PORT },
	{ "ciphers", K_CIPHERS },
	{ "macs", K_MACS },
	{ "remoteforward", K_REMOTE_FORWARD },
	{ "localforward", K_LOCAL_FORWARD },
	{ "permitremoteopen", K_PERMIT_REMOTE_OPEN },
	{ "user", K_USER },
	{ "host", K_HOST },
	{ "match", K_MATCH },
	{ "escapechar", K_ESCAPE_CHAR },
	{ "globalknownhostsfile", K_GLOBAL_KNOWN_HOSTS },
	{ "userknownhostsfile", K_USER_KNOWN_HOSTS },
	{ "connectionattempts", K_CONNECTION_ATTEMPTS },
	{ "batchmode", K_BATCH_MODE },
	{ "checkhostip", K_CHECK_HOST_IP },
	{ "stricthostkeychecking", K_STRICT_HOST_KEY_CHECKING },
	{ "compression", K_COMPRESSION },
	{ "tcpkeepalive", K_TCP_KEEP_ALIVE },
	{ "keepalive", K_TCP_KEEP_ALIVE },
	{ "numberofpasswordprompts", K_NUMBER_OF_PASSWORD_PROMPTS },
	{ "syslogfacility", K_LOG_FACILITY },
	{ "loglevel", K_LOG_LEVEL },
	{ "logverbose", K_LOG_VERBOSE },
	{ "dynamicforward", K_DYNAMIC_FORWARD },
	{ "preferredauthentications", K_PREFERRED_AUTHENTICATIONS },
	{ "hostkeyalgorithms", K_HOST_KEY_ALGORITHMS },
	{ "casignaturealgorithms", K_CA_SIGNATURE_ALGORITHMS },
	{ "bindaddress", K_BIND_ADDRESS },
	{ "bindinterface", K_BIND_INTERFACE },
	{ "clearallforwardings", K_CLEAR_ALL_FORWARDINGS },
	{ "enablesshkeysign", K_ENABLE_SSH_KEYSIGN },
	{ "verifyhostkeydns", K_VERIFY_HOST_KEY_DNS },
	{ "nohostauthenticationforlocalhost", K_NO_HOST_AUTH_FOR_LOCALHOST },
	{ "rekeylimit", K_REKEY_LIMIT },
	{ "connecttimeout", K_CONNECT_TIMEOUT },
	{ "addressfamily", K_ADDRESS_FAMILY },
	{ "serveraliveinterval", K_SERVER_ALIVE_INTERVAL },
	{ "serveralivecountmax", K_SERVER_ALIVE_COUNT_MAX },
	{ "sendenv", K_SEND_ENV },
	{ "setenv", K_SET_ENV },
	{ "controlpath", K_CONTROL_PATH },
	{ "controlmaster", K_CONTROL_MASTER },
	{ "controlpersist", K_CONTROL_PERSIST },
	{ "hashknownhosts", K_HASH_KNOWN_HOSTS },
	{ "include", K_INCLUDE },
	{ "tunnel", K_TUNNEL },
	{ "tunneldevice", K_TUNNEL_DEVICE },
	{ "localcommand", K_LOCAL_COMMAND },
	{ "permitlocalcommand", K_PERMIT_LOCAL_COMMAND },
	{ "remotecommand", K_REMOTE_COMMAND },
	{ "visualhostkey", K_VISUAL_HOST_KEY },
	{ "kexalgorithms", K_KEX_ALGORITHMS },
	{ "ipqos", K_IPQOS },
	{ "requesttty", K_REQUEST_TTY },
	{ "sessiontype", K_SESSION_TYPE },
	{ "stdinnull", K_STDIN_NULL },
	{ "forkafterauthentication", K_FORK_AFTER_AUTHENTICATION },
	{ "proxyusefdpass", K_PROXY_USE_FDPASS },
	{ "canonicaldomains", K_CANONICAL_DOMAINS },
	{ "canonicalizefallbacklocal", K_CANONICALIZE_FALLBACK_LOCAL },
	{ "canonicalizehostname", K_CANONICALIZE_HOSTNAME },
	{ "canonicalizemaxdots", K_CANONICALIZE_MAX_DOTS },
	{ "canonicalizepermittedcnames", K_CANONICALIZE_PERMITTED_CNAMES },
	{ "streamlocalbindmask", K_STREAM_LOCAL_BIND_MASK },
	{ "streamlocalbindunlink", K_STREAM_LOCAL_BIND_UNLINK },
	{ "revokedhostkeys", K_REVOKED_HOST_KEYS },
	{ "fingerprinthash", K_FINGERPRINT_HASH },
	{ "updatehostkeys", K_UPDATE_HOST_KEYS },
	{ "hostbasedacceptedalgorithms", K_HOSTBASED_ACCEPTED_ALGORITHMS },
	{ "hostbasedkeytypes", K_HOSTBASED_ACCEPTED_ALGORITHMS },
	{ "pubkeyacceptedalgorithms", K_PUBKEY_ACCEPTED_ALGORITHMS },
	{ "pubkeyacceptedkeytypes", K_PUBKEY_ACCEPTED_ALGORITHMS },
	{ "ignoreunknown", K_IGNORE_UNKNOWN },
	{ "proxyjump", K_PROXY_JUMP },
	{ "securitykeyprovider", K_SECURITY_KEY_PROVIDER },
	{ "knownhostscommand", K_KNOWN_HOSTS_COMMAND },
	{ "requiredrsasize", K_REQUIRED_RSA_SIZE },
	{ "enableescapecommandline", K_ENABLE_ESCAPE_COMMANDLINE },
	{ "protocolkeepalives", K_PROTOCOL_KEEP_ALIVES },
	{ "setuptimeout", K_SETUP_TIMEOUT },
};

#define N_KEYWORDS (sizeof(keyword_table) / sizeof(keyword_table[0]))

/*
 * Every config line looks its keyword up, so a 10,000-block file makes
 * tens of thousands of lookups: an open-addressing hash table built once
 * replaces a scan of the whole table.  Aliases keep their own entries;
 * the first table entry for a keyword stays its printed name.
 */
#define KW_HASH_SLOTS 512   /* a power of two, over twice the entries */

static unsigned short kw_hash_table[KW_HASH_SLOTS]; /* index + 1; 0 empty */
/* and the other way: every printed line names its keyword, and the
 * accessor walks all of them per value it reads */
static const char *kw_name_of[K_COUNT];
static pthread_once_t kw_hash_once = PTHREAD_ONCE_INIT;

static unsigned int
kw_hash(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
kw_hash_build(void)
{
	size_t i;
	unsigned int slot;

	for (i = 0; i < N_KEYWORDS; i++) {
		slot = kw_hash(keyword_table[i].name) & (KW_HASH_SLOTS - 1);
		while (kw_hash_table[slot] != 0)
			slot = (slot + 1) & (KW_HASH_SLOTS - 1);
		kw_hash_table[slot] = (unsigned short)(i + 1);
		/* the first entry of a keyword is its printed name */
		if ((size_t)keyword_table[i].kw < K_COUNT &&
		    kw_name_of[keyword_table[i].kw] == NULL)
			kw_name_of[keyword_table[i].kw] = keyword_table[i].name;
	}
}

enum cfg_kw
cfg_keyword_lookup(const char *lower_name)
{
	unsigned int slot;
	size_t i;

	(void)pthread_once(&kw_hash_once, kw_hash_build);
	slot = kw_hash(lower_name) & (KW_HASH_SLOTS - 1);
	while (kw_hash_table[slot] != 0) {
		i = kw_hash_table[slot] - 1u;
		if (strcmp(lower_name, keyword_table[i].name) == 0)
			return keyword_table[i].kw;
		slot = (slot + 1) & (KW_HASH_SLOTS - 1);
	}
	return K_BAD;
}

const char *
cfg_keyword_name(enum cfg_kw kw)
{
	(void)pthread_once(&kw_hash_once, kw_hash_build);
	if ((size_t)kw >= K_COUNT || kw_name_of[kw] == NULL)
		return "UNKNOWN";
	return kw_name_of[kw];
}
