/*
 * Tests for src/config/print.c: the ssh -G printer, the --explain printer
 * (every ssh -G line plus where its value came from), the YAML printer
 * (loaded back with libyaml) and config_result_get_dup().  Results come
 * from config_resolve() with a fake host (user "alice", home "/home/alice",
 * uid 1000, hostname "box.example.org", no environment, no exec, no DNS)
 * and configs in temporary files passed with -F.
 */
#include "config.h"

#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"

static char tmpdir[PATH_MAX];

static const char *
no_getenv(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

struct fx {
	struct config_host host;
	struct config_cache *cache;
	struct config_diag *diag;
	struct config_result *res;
	struct buf *out;
	char conf[PATH_MAX];
};

static void
fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->host.user_name = "alice";
	f->host.home_dir = "/home/alice";
	f->host.uid = 1000;
	f->host.hostname = "box.example.org";
	f->host.getenv_fn = no_getenv;
	f->host.user_config = "/nonexistent/sshbroker-test/config";
	f->host.system_config = "/nonexistent/sshbroker-test/ssh_config";
	f->cache = config_cache_new();
	f->diag = config_diag_new();
	f->out = buf_new(0);
	ck_assert_ptr_nonnull(f->cache);
	ck_assert_ptr_nonnull(f->diag);
	ck_assert_ptr_nonnull(f->out);
}

static void
fx_free(struct fx *f)
{
	config_result_free(f->res);
	config_diag_free(f->diag);
	config_cache_free(f->cache);
	buf_free(f->out);
	if (f->conf[0] != '\0')
		unlink(f->conf);
}

/* Writes conf to a mkstemp file (mode 0600) and resolves "-F file ARGS";
 * fails the test unless that succeeds. */
static void
fx_resolve(struct fx *f, const char *conf, ...)
{
	char *argv[32];
	struct config_request req;
	va_list ap;
	size_t n = 0, len = strlen(conf), i;
	const char *a;
	int fd, rc;

	ck_assert_int_lt(snprintf(f->conf, sizeof(f->conf), "%s/cfg-XXXXXX",
	    tmpdir), (int)sizeof(f->conf));
	fd = mkstemp(f->conf);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, conf, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	argv[n++] = (char *)"-F";
	argv[n++] = f->conf;
	va_start(ap, conf);
	while ((a = va_arg(ap, const char *)) != NULL) {
		ck_assert_uint_lt(n, 31);
		argv[n++] = (char *)a;
	}
	va_end(ap);
	req.argv = argv;
	req.argc = n;
	rc = config_resolve(f->cache, &f->host, &req, &f->res, f->diag);
	for (i = 0; rc != ERR_OK && i < config_diag_count(f->diag); i++)
		fprintf(stderr, "%s\n", config_diag_message(f->diag, i));
	ck_assert_int_eq(rc, ERR_OK);
	ck_assert_ptr_nonnull(f->res);
}

/* The ssh -G output of f's result, malloc'ed. */
static char *
ssh_g_text(const struct fx *f)
{
	struct buf *b = buf_new(0);
	char *s;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(config_print_ssh_g(f->res, b), ERR_OK);
	s = buf_dup_cstr(b);
	ck_assert_ptr_nonnull(s);
	buf_free(b);
	return s;
}

/* Splits "keyword value\n" text into its lines (in place). */
struct lines {
	char *kw[512];
	char *val[512];
	size_t n;
};

static void
split_lines(char *text, struct lines *l)
{
	char *line, *sp;

	l->n = 0;
	while ((line = strsep(&text, "\n")) != NULL) {
		if (*line == '\0') {
			/* only after the final newline */
			ck_assert_ptr_null(text);
			break;
		}
		ck_assert_uint_lt(l->n, 512);
		sp = strchr(line, ' ');
		ck_assert_msg(sp != NULL, "line without a value: [%s]", line);
		*sp = '\0';
		l->kw[l->n] = line;
		l->val[l->n] = sp + 1;
		l->n++;
	}
}

/* ------------------------------------------------------------------ */
/* ssh -G */

START_TEST(test_ssh_g_head)
{
	static const char head[] =
	    "host web\nuser alice\nhostname web\nport 22\n";
	struct fx f;
	char *text;

	fx_init(&f);
	fx_resolve(&f, "# empty\n", "web", NULL);
	ck_assert_int_eq(config_print_ssh_g(f.res, f.out), ERR_OK);
	text = (char *)buf_cstr(f.out);
	ck_assert_msg(strncmp(text, head, strlen(head)) == 0,
	    "ssh -G starts with:\n%.80s", text);
	/* the fake home, not the real one */
	ck_assert_ptr_nonnull(strstr(text, "\nuserknownhostsfile "
	    "/home/alice/.ssh/known_hosts /home/alice/.ssh/known_hosts2\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nidentityfile ~/.ssh/id_rsa\n"));
	ck_assert_int_eq(text[buf_len(f.out) - 1], '\n');
	/* printing appends */
	ck_assert_int_eq(config_print_ssh_g(f.res, f.out), ERR_OK);
	ck_assert_int_eq(strncmp(buf_cstr(f.out) + buf_len(f.out) / 2, head,
	    strlen(head)), 0);
	fx_free(&f);
}
END_TEST

START_TEST(test_ssh_g_values)
{
	static const char conf[] =
	    "Host web\n"
	    "  HostName Web.Example.ORG\n"
	    "  User bob\n"
	    "  Port 2200\n";
	static const char head[] = "host web\nuser bob\n"
	    "hostname web.example.org\nport 2200\n";
	struct fx f;
	char *text;

	fx_init(&f);
	fx_resolve(&f, conf, "web", NULL);
	text = ssh_g_text(&f);
	ck_assert_msg(strncmp(text, head, strlen(head)) == 0,
	    "ssh -G starts with:\n%.80s", text);
	free(text);
	fx_free(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* explain */

START_TEST(test_explain_labels)
{
	static const char conf[] =
	    "Host web\n"                /* 1 */
	    "  User bob\n"              /* 2 */
	    "  Compression yes\n"       /* 3 */
	    "Match final\n"             /* 4 */
	    "  Port 3333\n"             /* 5 */
	    "  Compression no\n"        /* 6 */
	    "  ConnectTimeout 7\n";     /* 7 */
	struct fx f;
	char want[PATH_MAX + 128];
	const char *text;

	fx_init(&f);
	fx_resolve(&f, conf, "-o", "BatchMode=yes", "-l", "carol", "web", NULL);
	ck_assert_int_eq(config_print_explain(f.res, f.out), ERR_OK);
	text = buf_cstr(f.out);

	/* -l beats the file */
	ck_assert_ptr_nonnull(strstr(text, "\nuser carol\t# command line\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nbatchmode yes\t# command line\n"));
	snprintf(want, sizeof(want), "\ncompression yes\t# %s:3 (first pass)\n",
	    f.conf);
	ck_assert_msg(strstr(text, want) != NULL, "no [%s] in:\n%s", want + 1,
	    text);
	snprintf(want, sizeof(want), "\nport 3333\t# %s:5 (final pass)\n",
	    f.conf);
	ck_assert_msg(strstr(text, want) != NULL, "no [%s]", want + 1);
	snprintf(want, sizeof(want), "\nconnecttimeout 7\t# %s:7 (final pass)\n",
	    f.conf);
	ck_assert_msg(strstr(text, want) != NULL, "no [%s]", want + 1);
	ck_assert_ptr_nonnull(strstr(text, "\naddressfamily any\t# default\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nciphers "
	    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
	    "aes128-gcm@openssh.com,aes256-gcm@openssh.com\t# default\n"));
	ck_assert_int_eq(strncmp(text, "host web\t# command line\n", 24), 0);

	/* -p and -o Port are the command line; the default port is a
	 * default */
	config_result_free(f.res);
	f.res = NULL;
	buf_reset(f.out);
	fx_resolve(&f, "Port 2222\n", "-p", "2200", "web", NULL);
	ck_assert_int_eq(config_print_explain(f.res, f.out), ERR_OK);
	ck_assert_ptr_nonnull(strstr(buf_cstr(f.out),
	    "\nport 2200\t# command line\n"));
	config_result_free(f.res);
	f.res = NULL;
	buf_reset(f.out);
	fx_resolve(&f, "\n", "web", NULL);
	ck_assert_int_eq(config_print_explain(f.res, f.out), ERR_OK);
	ck_assert_ptr_nonnull(strstr(buf_cstr(f.out),
	    "\nport 22\t# default\n"));
	fx_free(&f);
}
END_TEST

/* Without its "\t# ..." comments, --explain is exactly ssh -G. */
START_TEST(test_explain_is_ssh_g)
{
	static const char conf[] =
	    "Host web\n"
	    "  IdentityFile ~/.ssh/a\n"
	    "  IdentityFile ~/.ssh/b\n"
	    "  SendEnv LANG\n"
	    "  LocalForward 8080 localhost:80\n"
	    "Match final\n"
	    "  User bob\n";
	struct fx f;
	struct buf *stripped;
	char *copy, *cur, *line, *hash, *text;
	size_t n = 0;

	fx_init(&f);
	fx_resolve(&f, conf, "web", NULL);
	ck_assert_int_eq(config_print_explain(f.res, f.out), ERR_OK);
	stripped = buf_new(0);
	ck_assert_ptr_nonnull(stripped);
	copy = buf_dup_cstr(f.out);
	ck_assert_ptr_nonnull(copy);
	cur = copy;
	while ((line = strsep(&cur, "\n")) != NULL && *line != '\0') {
		hash = strstr(line, "\t# ");
		ck_assert_msg(hash != NULL, "no origin on [%s]", line);
		ck_assert_msg(strcmp(hash, "\t# default") == 0 ||
		    strcmp(hash, "\t# command line") == 0 ||
		    strstr(hash, " pass)") != NULL, "bad origin [%s]", hash);
		*hash = '\0';
		ck_assert_int_eq(buf_putf(stripped, "%s\n", line), ERR_OK);
		n++;
	}
	text = ssh_g_text(&f);
	ck_assert_uint_gt(n, 50);
	ck_assert_str_eq(buf_cstr(stripped), text);
	free(text);
	free(copy);
	buf_free(stripped);
	fx_free(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* YAML */

static yaml_node_t *
yaml_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	    p++) {
		k = yaml_document_get_node(doc, p->key);
		ck_assert_ptr_nonnull(k);
		ck_assert_int_eq(k->type, YAML_SCALAR_NODE);
		if (strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *
scalar(yaml_node_t *n)
{
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->type, YAML_SCALAR_NODE);
	return (const char *)n->data.scalar.value;
}

START_TEST(test_yaml_round_trip)
{
	static const char conf[] =
	    "Host web\n"
	    "  User bob\n"
	    "  Port 2222\n"
	    "  IdentityFile ~/.ssh/a\n"
	    "  IdentityFile \"~/.ssh/with space\"\n"
	    "  SendEnv LC_*\n"
	    "  ProxyCommand nc %h %p # \"quoted\": yes\n";
	struct fx f;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *n, *item;
	struct lines l;
	char *text;
	size_t i, j, distinct = 0;

	fx_init(&f);
	fx_resolve(&f, conf, "web", NULL);
	ck_assert_int_eq(config_print_yaml(f.res, f.out), ERR_OK);

	ck_assert(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, buf_ptr(f.out), buf_len(f.out));
	ck_assert_msg(yaml_parser_load(&parser, &doc), "YAML does not parse: "
	    "%s\n%s", parser.problem != NULL ? parser.problem : "?",
	    buf_cstr(f.out));
	root = yaml_document_get_root_node(&doc);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(root->type, YAML_MAPPING_NODE);

	ck_assert_str_eq(scalar(yaml_get(&doc, root, "host")), "web");
	ck_assert_str_eq(scalar(yaml_get(&doc, root, "user")), "bob");
	ck_assert_str_eq(scalar(yaml_get(&doc, root, "port")), "2222");
	ck_assert_str_eq(scalar(yaml_get(&doc, root, "proxycommand")),
	    "nc %h %p # \"quoted\": yes");
	n = yaml_get(&doc, root, "identityfile");
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->type, YAML_SEQUENCE_NODE);
	ck_assert_int_eq(n->data.sequence.items.top -
	    n->data.sequence.items.start, 2);
	item = yaml_document_get_node(&doc, n->data.sequence.items.start[0]);
	ck_assert_str_eq(scalar(item), "~/.ssh/a");
	item = yaml_document_get_node(&doc, n->data.sequence.items.start[1]);
	ck_assert_str_eq(scalar(item), "~/.ssh/with space");
	n = yaml_get(&doc, root, "sendenv");
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->type, YAML_SEQUENCE_NODE);
	ck_assert_ptr_null(yaml_get(&doc, root, "nosuchkey"));

	/* every ssh -G line is in the YAML, in order within a keyword */
	text = ssh_g_text(&f);
	split_lines(text, &l);
	for (i = 0; i < l.n; i++) {
		n = yaml_get(&doc, root, l.kw[i]);
		ck_assert_msg(n != NULL, "%s missing from the YAML", l.kw[i]);
		for (j = 0; j < i && strcmp(l.kw[j], l.kw[i]) != 0; j++)
			;
		if (j == i)
			distinct++;
		if (n->type == YAML_SCALAR_NODE) {
			ck_assert_msg(j == i, "%s printed twice", l.kw[i]);
			ck_assert_str_eq(scalar(n), l.val[i]);
		} else {
			size_t k = 0, m;

			ck_assert_int_eq(n->type, YAML_SEQUENCE_NODE);
			for (m = 0; m < i; m++)
				k += strcmp(l.kw[m], l.kw[i]) == 0;
			ck_assert_int_lt(k, n->data.sequence.items.top -
			    n->data.sequence.items.start);
			item = yaml_document_get_node(&doc,
			    n->data.sequence.items.start[k]);
			ck_assert_str_eq(scalar(item), l.val[i]);
		}
	}
	/* and nothing else */
	ck_assert_int_eq(root->data.mapping.pairs.top -
	    root->data.mapping.pairs.start, (long)distinct);
	free(text);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fx_free(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* config_result_get_dup */

START_TEST(test_get_dup)
{
	static const char conf[] =
	    "Host web\n"
	    "  HostName Real.Example\n"
	    "  IdentityFile ~/.ssh/a\n"
	    "  IdentityFile ~/.ssh/b\n";
	struct fx f;
	char *v;

	fx_init(&f);
	fx_resolve(&f, conf, "web", NULL);
	v = config_result_get_dup(f.res, "hostname", 0);
	ck_assert_pstr_eq(v, "real.example");
	free(v);
	v = config_result_get_dup(f.res, "port", 0);
	ck_assert_pstr_eq(v, "22");
	free(v);
	v = config_result_get_dup(f.res, "port", 1);
	ck_assert_ptr_null(v);
	v = config_result_get_dup(f.res, "identityfile", 0);
	ck_assert_pstr_eq(v, "~/.ssh/a");
	free(v);
	v = config_result_get_dup(f.res, "identityfile", 1);
	ck_assert_pstr_eq(v, "~/.ssh/b");
	free(v);
	v = config_result_get_dup(f.res, "identityfile", 2);
	ck_assert_ptr_null(v);
	v = config_result_get_dup(f.res, "nosuchkeyword", 0);
	ck_assert_ptr_null(v);
	/* unset keywords have no line */
	v = config_result_get_dup(f.res, "proxycommand", 0);
	ck_assert_ptr_null(v);
	/* the lower-case ssh -G name only */
	v = config_result_get_dup(f.res, "HostName", 0);
	ck_assert_ptr_null(v);
	fx_free(&f);
}
END_TEST

/* get_dup(keyword, i) is the i-th ssh -G line of that keyword. */
START_TEST(test_get_dup_matches_ssh_g)
{
	static const char conf[] =
	    "Host web\n"
	    "  SendEnv A B\n"
	    "  SetEnv X=1 Y=2\n"
	    "  RemoteForward 9000 localhost:9000\n"
	    "  DynamicForward 1080\n"
	    "  CertificateFile ~/.ssh/c\n";
	struct fx f;
	struct lines l;
	char *text, *v;
	size_t i, j, k;

	fx_init(&f);
	fx_resolve(&f, conf, "-J", "jump", "web", NULL);
	text = ssh_g_text(&f);
	split_lines(text, &l);
	ck_assert_uint_gt(l.n, 50);
	for (i = 0; i < l.n; i++) {
		for (j = 0, k = 0; j < i; j++)
			k += strcmp(l.kw[j], l.kw[i]) == 0;
		v = config_result_get_dup(f.res, l.kw[i], k);
		ck_assert_msg(v != NULL && strcmp(v, l.val[i]) == 0,
		    "get_dup(%s, %zu) = [%s], ssh -G says [%s]", l.kw[i], k,
		    v != NULL ? v : "(null)", l.val[i]);
		free(v);
	}
	v = config_result_get_dup(f.res, "proxyjump", 0);
	ck_assert_pstr_eq(v, "jump");
	free(v);
	v = config_result_get_dup(f.res, "sendenv", 1);
	ck_assert_pstr_eq(v, "B");
	free(v);
	free(text);
	fx_free(&f);
}
END_TEST

static Suite *
print_suite(void)
{
	Suite *s = suite_create("config-print");
	TCase *tc = tcase_create("ssh-g");

	tcase_add_test(tc, test_ssh_g_head);
	tcase_add_test(tc, test_ssh_g_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("explain");
	tcase_add_test(tc, test_explain_labels);
	tcase_add_test(tc, test_explain_is_ssh_g);
	suite_add_tcase(s, tc);

	tc = tcase_create("yaml");
	tcase_add_test(tc, test_yaml_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("get_dup");
	tcase_add_test(tc, test_get_dup);
	tcase_add_test(tc, test_get_dup_matches_ssh_g);
	suite_add_tcase(s, tc);
	return s;
}

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");
	SRunner *sr;
	int failed;

	if (base == NULL || *base != '/')
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_print.XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(print_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
