#!/usr/bin/env python3
"""Generate random-but-deterministic ssh_config cases for run-difftest.sh.

Writes OUT/gen-NNN.conf, OUT/gen-NNN.args and (for cases that use Include)
OUT/gen-NNN.d/*.conf, in the same format as the handwritten cases/ corpus:
"@CASEDIR@" in any file is replaced by the runner with the case directory.

Every case is derived from a fixed seed (base seed + case number), so the
same case number always yields the same files whatever --count is.

Rules that keep the cases hermetic: no CanonicalizeHostname other than
"no", no CanonicalizePermittedCNAMEs other than "none" (either would make
ssh look names up in the DNS), and no Match exec other than true, false
and test.
"""
import argparse
import os
import random
import shutil

FLAG = ['yes', 'no', 'true', 'false', 'YES', 'No']
BAD_FLAG = ['maybe', '1', 'on', '']
TIME = ['0', '5', '30s', '1m', '1m30s', '2h', '1w', '90', '1d2h']
BAD_TIME = ['5x', '-1', 'soon', 'm']
INT = ['0', '1', '3', '10', '255', '2048']
BAD_INT = ['x', '-1', '3.5', '99999999999', '0x10']
TOKENS = ['%h', '%p', '%r', '%n', '%u', '%d', '%C', '%L', '%l', '%i', '%k',
          '%%']
PATHS = ['~/.ssh/cm-%C', '/tmp/sb-%r@%h:%p', '${SB_TEST_DIR}/%n',
         '~/.ssh/%u-%h', '/run/%i/%k', 'none', '/tmp/%%/%L-%l',
         '"~/.ssh/with space %h"']
BAD_PATHS = ['/tmp/%z', '${SB_UNDEFINED}/x', '/tmp/cm%', '~nosuchuser-sb/x']

# keyword -> (valid values, invalid values); a value may hold several words
KEYWORDS = {
    'AddKeysToAgent': (['yes', 'no', 'ask', 'confirm', 'confirm 5m', '1h'],
                       ['maybe', 'yes 5m']),
    'AddressFamily': (['any', 'inet', 'inet6'], ['ipv4']),
    'BatchMode': (FLAG, BAD_FLAG),
    'BindAddress': (['127.0.0.1', '::1', '0.0.0.0'], []),
    'BindInterface': (['lo', 'eth0'], []),
    'CanonicalDomains': (['example.com', 'a.example b.example', 'none'],
                         ['none example.com']),
    'CanonicalizeFallbackLocal': (FLAG, BAD_FLAG),
    'CanonicalizeHostname': (['no', 'false'], ['sometimes']),
    'CanonicalizeMaxDots': (INT, BAD_INT),
    'CanonicalizePermittedCNAMEs': (['none'], ['nocolon']),
    'CASignatureAlgorithms': (['ssh-ed25519', '+ssh-rsa', '-rsa-sha2-*',
                               '^ecdsa-sha2-nistp256'], ['bogus']),
    'CertificateFile': (['~/.ssh/id_ed25519-cert.pub', '/certs/%h-cert.pub'],
                        []),
    'ChallengeResponseAuthentication': (FLAG, BAD_FLAG),
    'CheckHostIP': (FLAG, BAD_FLAG),
    'Ciphers': (['aes128-ctr,aes256-ctr', '+aes128-cbc', '-aes*-ctr',
                 '^aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'],
                ['rot13', 'AES128-CTR']),
    'ClearAllForwardings': (FLAG, BAD_FLAG),
    'Compression': (['yes', 'no'], ['maybe', 'delayed']),
    'ConnectionAttempts': (['1', '3', '10'], BAD_INT),
    'ConnectTimeout': (TIME + ['none'], BAD_TIME),
    'ControlMaster': (['yes', 'no', 'auto', 'autoask', 'ask'], ['always']),
    'ControlPath': (PATHS, BAD_PATHS),
    'ControlPersist': (['yes', 'no', '10m', '0', '3600'], ['forever', 'YES']),
    'DynamicForward': (['1080', '127.0.0.1:1081', '[::1]:1082', '*:1083'],
                       ['a:b:c', '0']),
    'EnableEscapeCommandline': (FLAG, BAD_FLAG),
    'EnableSSHKeysign': (FLAG, BAD_FLAG),
    'EscapeChar': (['~', 'none', '^A', '%', '^]'], ['ab', '^?']),
    'ExitOnForwardFailure': (FLAG, BAD_FLAG),
    'FingerprintHash': (['md5', 'sha256', 'sha1'], ['crc32']),
    'ForwardAgent': (['yes', 'no', '${SB_SOCK}', '$SB_SOCK', '~/agent.sock'],
                     ['${SB_UNDEFINED}']),
    'ForwardX11': (FLAG, BAD_FLAG),
    'ForwardX11Timeout': (TIME + ['none'], BAD_TIME),
    'ForwardX11Trusted': (FLAG, BAD_FLAG),
    'GatewayPorts': (FLAG, BAD_FLAG),
    'GlobalKnownHostsFile': (['/etc/ssh/kh', '/a /b', 'none', '~/g-%h'],
                             ['none /x']),
    'GSSAPIAuthentication': (FLAG, BAD_FLAG),
    'GSSAPIDelegateCredentials': (FLAG, BAD_FLAG),
    'GSSAPIKeyExchange': (FLAG, BAD_FLAG),
    'GSSAPITrustDNS': (FLAG, BAD_FLAG),
    'HashKnownHosts': (FLAG, BAD_FLAG),
    'HostbasedAcceptedAlgorithms': (['ssh-ed25519', '+ssh-rsa', '-ecdsa*'],
                                    ['bogus']),
    'HostbasedAuthentication': (FLAG, BAD_FLAG),
    'HostKeyAlgorithms': (['ssh-ed25519', '+ssh-rsa', '-*-cert-v01@openssh.com',
                           '^rsa-sha2-512'], ['ssh-foo']),
    'HostKeyAlias': (['alias1', 'MixedCase', '%h'], []),
    'Hostname': (['%h.example.com', 'real.example', '10.1.1.1', '%h',
                  'UPPER.Example', '%h-%h'], ['%p', 'x%']),
    'IdentitiesOnly': (FLAG, BAD_FLAG),
    'IdentityAgent': (['none', 'SSH_AUTH_SOCK', '${SB_SOCK}', '~/a-%h.sock',
                       '$SB_SOCK'], ['${SB_UNDEFINED}', '/tmp/%z']),
    'IdentityFile': (['~/.ssh/id_ed25519', '~/.ssh/%h_key', '/keys/%r',
                      '~/.ssh/id_rsa'], []),
    'IPQoS': (['af21', 'lowdelay throughput', 'cs1 af41', 'none', 'ef'],
              ['fast', 'af11 af12 af13']),
    'KbdInteractiveAuthentication': (FLAG, BAD_FLAG),
    'KexAlgorithms': (['curve25519-sha256', '+diffie-hellman-group14-sha1',
                       '-sntrup*'], ['bogus-kex']),
    'LocalCommand': (['echo %h', 'none', 'printf "%s" x'], []),
    'LocalForward': (['8080 localhost:80', '127.0.0.1:8081 db:5432',
                      '/tmp/l-%h.sock /tmp/r.sock', '[::1]:8082 [::1]:22',
                      '${SB_PORT} localhost:22'],
                     ['8080', '0 localhost:1', '8080 h:0']),
    # (not QUIET or FATAL: a refusal must leave a message to check)
    'LogLevel': (['ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG3', 'error'],
                 ['LOUD']),
    'LogVerbose': (['kex.c:*', 'none', 'a.c:*:10 b.c:*'], ['none a.c:*']),
    'MACs': (['hmac-sha2-256', '+hmac-md5', '-*-etm@openssh.com'],
             ['hmac-md6']),
    'NoHostAuthenticationForLocalhost': (FLAG, BAD_FLAG),
    'NumberOfPasswordPrompts': (INT, BAD_INT),
    'PasswordAuthentication': (FLAG, BAD_FLAG),
    'PermitLocalCommand': (FLAG, BAD_FLAG),
    'PermitRemoteOpen': (['any', 'none', 'localhost:8080', 'a:1 *:*'],
                         ['any a:1']),
    'Port': (['22', '2222', '65535', 'ssh', '022'], ['0', '65536', 'x']),
    'PreferredAuthentications': (['publickey,password', 'keyboard-interactive'],
                                 []),
    'ProxyCommand': (['nc %h %p', 'none', 'ssh -W [%h]:%p bastion', '-'], []),
    'ProxyJump': (['bastion', 'admin@bastion:2222', 'none', 'a,b@c:3',
                   'target'], ['ssh://b/path']),
    'ProxyUseFdpass': (FLAG, BAD_FLAG),
    'PubkeyAcceptedAlgorithms': (['ssh-ed25519', '+ssh-rsa', '-sk-*'],
                                 ['bogus']),
    'PubkeyAuthentication': (['yes', 'no', 'unbound', 'host-bound'],
                             ['bound']),
    'RekeyLimit': (['1G', '1G 1h', 'default none', '512K 10m', '0'],
                   ['15', 'lots']),
    'RemoteCommand': (['uptime', 'echo %h %r', 'none'], ['echo %z']),
    'RemoteForward': (['9090 localhost:90', '1080', '0 localhost:22',
                       '/tmp/r-%h.sock /tmp/l.sock'], ['abc']),
    'RequestTTY': (['yes', 'no', 'force', 'auto'], ['always']),
    'RequiredRSASize': (['1024', '2048', '4096'], BAD_INT),
    'SendEnv': (['LANG LC_*', 'FOO', '-LC_*', 'A B C', '-*'], ['A=1']),
    'ServerAliveCountMax': (INT, BAD_INT),
    'ServerAliveInterval': (TIME + ['none'], BAD_TIME),
    'SessionType': (['none', 'subsystem', 'default'], ['shell']),
    'SetEnv': (['FOO=bar', 'A=1 B=2', '"X=a b"'], ['NOEQUALS']),
    'StdinNull': (FLAG, BAD_FLAG),
    'StreamLocalBindMask': (['0177', '0077', '0', '777'], ['1000', '8']),
    'StreamLocalBindUnlink': (FLAG, BAD_FLAG),
    'StrictHostKeyChecking': (['yes', 'no', 'ask', 'accept-new', 'off'],
                              ['sometimes']),
    'SyslogFacility': (['USER', 'LOCAL0', 'LOCAL7', 'AUTH'], ['LOCAL8']),
    'TCPKeepAlive': (FLAG, BAD_FLAG),
    'Tunnel': (['yes', 'no', 'ethernet', 'point-to-point'], ['layer2']),
    'TunnelDevice': (['any', '1:2', '3', 'any:4'], ['x:y']),
    'UpdateHostKeys': (['yes', 'no', 'ask'], ['always']),
    'User': (['alice', 'bob', 'root', 'Mixed.Case'], []),
    'UserKnownHostsFile': (['~/.ssh/known_hosts', '/a /b', 'none',
                            '~/.ssh/kh-%h-%p', '${SB_TEST_DIR}/kh'],
                           ['/a none', '/tmp/%z']),
    'VerifyHostKeyDNS': (['yes', 'no', 'ask'], ['confirm']),
    'VisualHostKey': (FLAG, BAD_FLAG),
    'XAuthLocation': (['/usr/bin/xauth', '/opt/xauth'], []),
    # aliases, deprecated, unsupported and unknown keywords
    'DSAAuthentication': (FLAG, BAD_FLAG),
    'KeepAlive': (FLAG, BAD_FLAG),
    'IdentityFile2': (['~/.ssh/id2'], []),
    'PubkeyAcceptedKeyTypes': (['ssh-ed25519'], ['bogus']),
    'UsePrivilegedPort': (['yes'], []),
    'Protocol': (['2'], []),
    'Cipher': (['3des'], []),
    'CompressionLevel': (['6'], []),
    'RSAAuthentication': (['yes'], []),
    'ProtocolKeepAlives': (TIME, BAD_TIME),
    'SetupTimeOut': (TIME, BAD_TIME),
}
UNKNOWN = ['Frobnicate', 'UseKeychain', 'Tag', 'ChannelTimeout']
# a few frequent keywords get picked more often
WEIGHTED = (list(KEYWORDS) + ['User', 'Port', 'Hostname', 'IdentityFile',
                              'SendEnv', 'LocalForward', 'ProxyJump',
                              'ControlPath', 'ProxyCommand'] * 3)

HOST_PATTERNS = ['target', 'web1', '*.example.com', 'web?', 'db*', '*',
                 '!db1.example.com', '!target', '10.0.0.*', 'TARGET',
                 'bastion', 'web1.example.com', '*.corp', 'x,target',
                 'real.example', '*.example', '10.1.1.1', 'upper.example',
                 'target.example.com', 'target-target']
MATCH_CRITERIA = ['host target', 'host *.example.com', 'host web1,db*',
                  'host !db*', 'originalhost target', 'originalhost web?',
                  'user root', 'user alice,bob', 'localuser root',
                  'localuser nobody', 'exec true', 'exec false',
                  'exec "test %h = target"', 'exec "test %r = root"',
                  '!exec false', 'final', '!final', 'canonical',
                  '!canonical', '!host target', 'host "target,web1"',
                  'host real.example', 'final host *.example*',
                  'originalhost TARGET', 'host 10.1.1.1']
MUTATION_CHARS = ['"', "'", '\\', '#', '=', ' ', '\t', '%', '$', '{', '}',
                  ',', '!', '*', '?', '\r', '\f', '\v', '\u00e9', '@', ':',
                  '[', ']', '/', '~', '-', '+', '^']
DESTS = ['target', 'web1', 'web1.example.com', 'db1.example.com',
         'alice@target', 'ssh://bob@web2:2222', 'ssh://web1', '10.0.0.5',
         'TARGET', 'Web1.Example.Com', 'bastion', 'x.corp', 'root@target',
         'ssh://carol@target']


def pick_value(rng, kw, bad_rate):
    good, bad = KEYWORDS[kw]
    if bad and rng.random() < bad_rate:
        return rng.choice(bad)
    return rng.choice(good)


def fmt_line(rng, kw, value, indent):
    """One config line with a random (valid) lexical form."""
    r = rng.random()
    if r < 0.15:
        kw = kw.lower()
    elif r < 0.2:
        kw = kw.upper()
    sep = rng.choice([' ', ' ', ' ', '=', ' = ', '\t', '  ', '= ', ' ='])
    if ' ' in value and sep.strip() == '=' and rng.random() < 0.5:
        pass  # '=' with a multi-word value is still fine
    line = indent + kw + sep + value
    r = rng.random()
    if r < 0.08:
        line += '   '
    elif r < 0.14:
        line += ' # trailing comment'
    elif r < 0.17:
        line += '\t'
    return line


def gen_lines(rng, n, bad_rate, indent_choices):
    lines = []
    for _ in range(n):
        indent = rng.choice(indent_choices)
        if rng.random() < 0.01:
            lines.append(indent + rng.choice(UNKNOWN) + ' yes')
            continue
        kw = rng.choice(WEIGHTED)
        lines.append(fmt_line(rng, kw, pick_value(rng, kw, bad_rate), indent))
        if rng.random() < 0.05:
            lines.append(rng.choice(['', '# a comment', '   ', '\t# x']))
    return lines


def host_line(rng):
    pats = rng.sample(HOST_PATTERNS, rng.randint(1, 3))
    return rng.choice(['Host', 'host', 'HOST', 'Host =']) + ' ' + ' '.join(pats)


def match_line(rng):
    if rng.random() < 0.15:
        return rng.choice(['Match all', 'Match !all', 'match ALL'])
    crit = rng.sample(MATCH_CRITERIA, rng.randint(1, 2))
    return rng.choice(['Match', 'match', 'MATCH']) + ' ' + ' '.join(crit)


def gen_case(case_no, seed, out):
    rng = random.Random(seed * 100003 + case_no)
    name = 'gen-%03d' % case_no
    # 1 case in 4 gets a chance of invalid values
    bad_rate = 0.08 if rng.random() < 0.25 else 0.0
    lines = []
    incfiles = {}
    if rng.random() < 0.3:
        lines.append('IgnoreUnknown ' + ','.join(rng.sample(UNKNOWN, 2)))
    lines += gen_lines(rng, rng.randint(0, 4), bad_rate, [''])
    for b in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.55:
            lines.append(host_line(rng))
        elif r < 0.9:
            lines.append(match_line(rng))
        else:
            # an Include, at top level or inside the current block
            k = len(incfiles) + 1
            fn = 'inc%d.conf' % k
            body = gen_lines(rng, rng.randint(1, 4), bad_rate, ['', '  '])
            if rng.random() < 0.4:
                body.append(host_line(rng))
                body += gen_lines(rng, rng.randint(1, 3), bad_rate, ['  '])
            incfiles[fn] = '\n'.join(body) + '\n'
            if rng.random() < 0.3:
                lines.append('Include @CASEDIR@/inc*.conf')
            else:
                lines.append(rng.choice(['Include', 'include', 'Include =']) +
                             ' @CASEDIR@/' + fn)
        lines += gen_lines(rng, rng.randint(1, 5), bad_rate,
                           ['', '  ', '    ', '\t'])
    if rng.random() < 0.2:
        lines.append('Host *')
        lines += gen_lines(rng, rng.randint(1, 4), bad_rate, ['  '])

    # 1 case in 5: a few lexical mutations (quotes, escapes, '=', '#',
    # blanks, ...) at random places, to stress the tokenizer
    if rng.random() < 0.2 and lines:
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(len(lines))
            ln = lines[k]
            pos = rng.randint(0, len(ln))
            op = rng.random()
            ch = rng.choice(MUTATION_CHARS)
            if op < 0.5:
                ln = ln[:pos] + ch + ln[pos:]
            elif op < 0.8 and pos < len(ln):
                ln = ln[:pos] + ch + ln[pos + 1:]
            else:
                ln = ln[:pos] + ln[pos + 1:]
            lines[k] = ln

    eol = '\r\n' if rng.random() < 0.05 else '\n'
    text = eol.join(lines) + (eol if rng.random() < 0.95 else '')

    args = []
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
        r = rng.random()
        if r < 0.5:
            kw = rng.choice(WEIGHTED)
            if kw.startswith('Identity') or kw == 'Port' or rng.random() < 0.5:
                sep = '='
            else:
                sep = ' '
            args += ['-o', kw + sep + pick_value(rng, kw, bad_rate)]
        elif r < 0.7:
            args += ['-l', rng.choice(['luser', 'alice', 'root', 'a;b'
                                       if bad_rate else 'bob'])]
        elif r < 0.85:
            args += ['-p', rng.choice(['2200', '22', 'ssh', '0' if bad_rate
                                       else '2022'])]
        else:
            args += ['-J', rng.choice(['bastion', 'u@jump:2222', 'a,b',
                                       'ssh://j@jump', 'none'])]
    args.append(rng.choice(DESTS))

    with open(os.path.join(out, name + '.conf'), 'w', newline='') as f:
        f.write(text)
    with open(os.path.join(out, name + '.args'), 'w') as f:
        f.write(''.join(a + '\n' for a in args))
    if incfiles:
        d = os.path.join(out, name + '.d')
        os.makedirs(d)
        for fn, body in incfiles.items():
            with open(os.path.join(d, fn), 'w', newline='') as f:
                f.write(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--count', type=int, default=300)
    ap.add_argument('--seed', type=int, default=20240601)
    a = ap.parse_args()
    if os.path.isdir(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    for i in range(1, a.count + 1):
        gen_case(i, a.seed, a.out)


if __name__ == '__main__':
    main()
