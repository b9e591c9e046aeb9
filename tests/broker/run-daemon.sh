#!/usr/bin/env bash
# The daemon, black box, against one sshd started here (127.0.0.1 only,
# LogLevel VERBOSE, so its log counts the logins) and an ordinary user of
# its own (sbdaemon, shell /bin/sh).  The control socket is a private one
# under a temporary directory ($SSHBROKER_SOCKET): a user's real daemon
# is never touched.  Checked, numbered as in the log:
#   1. 200 sequential `exec` (the first autostarts the daemon): one login
#   2. stdio apart, exit statuses, a signal (255), stdin through cat,
#      stdin from /dev/null and from a file, output to a file
#   3. 50 clients at once: one login; a slow Match exec holds up no one
#   4. stock OpenSSH on the daemon's ControlPath: -O check, a session,
#      -W, scp, rsync, -O exit, -O stop; no login of their own
#   5. status (YAML), close, reconnection
#   6. sshd killed mid-session: 255 promptly; reconnection once it is back
#   7. another user: refused by the directory, and by SO_PEERCRED when
#      the directory and the socket are opened to everyone
#   8. hostile clients next to a well-behaved session
#  11. an agent waiting for its user (ssh-add -c) holds up no one
#  12. a ProxyCommand deaf to SIGTERM: killed and reaped after close
#  13. forwarding: -L, -D (SOCKS4/4a/5), -R, stock ssh -L, -O forward/cancel
#  14. RemoteCommand, RequestTTY (-t, -tt), SessionType from ssh_config
#  10. no growth of fds or memory over 1,000 sessions and 10,000 control
#      requests
#   9. lifecycle: a second daemon, stop, SIGTERM with a live session
# Every client runs under timeout(1); every daemon and sshd started here
# is stopped at exit.  Needs root (sshd, test users), python3.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
sb=${SSHBROKER:-$top_builddir/src/sshbroker}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
note() { printf '%s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "run-daemon.sh: needs root (sshd and test users); not run"
	exit 77
fi
# One run at a time on a machine: the users sbdaemon and sbother (their
# authorized_keys, their processes, which this test kills) are shared by
# every build tree's run.
# shellcheck source=tests/broker/lib-lock.sh
. "$top_srcdir/tests/broker/lib-lock.sh"
run_locked run-daemon 300 "$@"
# shellcheck source=tests/transport/lib-sshd.sh
. "$top_srcdir/tests/transport/lib-sshd.sh"

for tool in python3 timeout setsid pgrep scp rsync socat; do
	command -v "$tool" >/dev/null 2>&1 || { echo "run-daemon.sh: $tool is not installed"; echo "0 passed, 1 failed"; exit 1; }
done
# the other user runs the system's python, whatever root's PATH says
pyother=/usr/bin/python3
[ -x "$pyother" ] || pyother=$(command -v python3)

work=$(mktemp -d /tmp/sb-daemon.XXXXXX)
# others may pass through (check 7 reaches the control socket as another
# user), not list or read
chmod 711 "$work"
mkdir -m 755 "$work/pub"        # what the other user runs
mkdir -m 700 "$work/cp"         # the ControlPath sockets
sock=$work/ctl/control
SSHBROKER_SOCKET=$sock
# no settings file but ours (none): a config.yaml of root's must not
# change the socket, the idle time or the ControlPath under test
XDG_CONFIG_HOME=$work/xdg
export SSHBROKER_SOCKET XDG_CONFIG_HOME
dlog=$work/ctl/daemon.log
user=sbdaemon
other=sbother
bg_pids=

# ---- process bookkeeping

# daemon_pids: the sshbroker daemons of our socket (whatever started them)
daemon_pids() {
	local p
	for p in /proc/[0-9]*; do
		# (comm is "exe" when the client started it by /proc/self/exe)
		{ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -q '^\([^ ]*/\)\{0,1\}sshbroker daemon' || continue
		{ tr '\0' '\n' < "$p/environ"; } 2>/dev/null |
		    grep -qxF "SSHBROKER_SOCKET=$sock" || continue
		echo "${p#/proc/}"
	done
}
# alive PID: exists and is not a zombie
alive() {
	local st
	{ read -r st < "/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
# gone PID [TENTHS]: not alive, or stops being alive within TENTHS/10 s
gone() {
	local _i
	for _i in $(seq "${2:-30}"); do alive "$1" || return 0; sleep 0.1; done
	alive "$1" && return 1
	return 0
}
# sshd's processes for our user's logins ([priv] as root, @notty as the
# user), and what runs as the user
session_procs() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -q "^sshd: ${user}[ @]" &&
		    echo "${p#/proc/}"
	done
	pgrep -u "$user" 2>/dev/null
}
kill_user_sessions() {
	local p _i
	for _i in 1 2 3; do
		for p in $(session_procs); do kill -KILL "$p" 2>/dev/null; done
		sleep 0.05
	done
}

cleanup() {
	local p
	for p in $bg_pids; do kill -KILL "$p" 2>/dev/null; done
	for p in $(daemon_pids); do kill -KILL "$p" 2>/dev/null; done
	sshd_stop
	# and any sshd of our config that outlived its pid (restarted in 6)
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "-f $work/sshd/sshd_config" &&
		    kill -KILL "${p#/proc/}" 2>/dev/null
	done
	kill_user_sessions
	for p in $(pgrep -u "$other" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# ---- sshd, users, keys

sshd_login_user "$user" "$work/id"
home=$SSHD_USER_HOME
id "$other" >/dev/null 2>&1 || useradd -m -s /bin/sh "$other"
rm -rf "$home/tree" "$home/up.bin"

# MaxSessions: 50 sessions at once on one connection (check 3); sshd's
# default of 10 would refuse the rest
# shellcheck disable=SC2034 # read by lib-sshd.sh
SSHD_EXTRA_CONFIG="MaxSessions 100
Subsystem sftp internal-sftp
AllowTcpForwarding yes
AcceptEnv SB_*"
sshd_start "$work/sshd" ed25519 || { echo "0 passed, 1 failed"; exit 1; }
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
# lib-sshd.sh writes LogLevel ERROR first (the first value wins): raise
# it to VERBOSE, which logs every "Accepted publickey", and make sshd
# re-read its config (SIGHUP re-executes it: same pid, port and log)
sed -i 's/^LogLevel .*/LogLevel VERBOSE/' "$work/sshd/sshd_config"
kill -HUP "$SSHD_PID"
sshd_listening() {
	local _i
	for _i in $(seq 100); do
		[ "$(grep -c "Server listening on 127.0.0.1 port $SSHD_PORT" "$SSHD_LOG")" -ge "$1" ] &&
		    sshd_wait_port "$SSHD_PORT" && return 0
		sleep 0.05
	done
	return 1
}
sshd_listening 1 ||
    { echo "sshd did not come back at LogLevel VERBOSE:"; cat "$SSHD_LOG"; echo "0 passed, 1 failed"; exit 1; }
# sshd_restart: the same config, port and log (check 6)
sshd_restart() {
	local n
	n=$(grep -c "Server listening on 127.0.0.1 port $SSHD_PORT" "$SSHD_LOG")
	"$sshd_bin" -D -e -f "$work/sshd/sshd_config" 2>>"$SSHD_LOG" &
	SSHD_PID=$!
	sshd_listening $((n + 1))
}

cfg=$work/cfg
{
	echo "Host target target2"
	sshd_client_opts "$user" "$work/id" "$SSHD_KNOWN_HOSTS"
	echo "  ControlPath $work/cp/cp-%n"
} > "$cfg"
cp_target=$work/cp/cp-target

# ---- sshd's log: logins since a mark
log_mark() { mark=$(wc -l < "$SSHD_LOG"); }
logins() { tail -n +"$((mark + 1))" "$SSHD_LOG" | grep -c "Accepted publickey for $user "; }
# the daemon's log since a mark
dlog_mark() { dmark=$(wc -l < "$dlog" 2>/dev/null || echo 0); }
dlog_since() { tail -n +"$((dmark + 1))" "$dlog" 2>/dev/null; }

# sb [-t SECS] ARGS...: the command line, stdin /dev/null unless
# redirected by the caller, stdout in $work/out, stderr in $work/err
sb() {
	local secs=20
	[ "$1" = -t ] && { secs=$2; shift 2; }
	timeout -k 2 "$secs" "$sb" "$@" >"$work/out" 2>"$work/err"
	rc=$?
}
# x ARGS...: sshbroker exec -F cfg ARGS (stdin /dev/null)
x() { sb exec -F "$cfg" "$@" </dev/null; }
out() { cat "$work/out"; }
err() { head -c 1500 "$work/err" | tr '\0' '?'; }
seen() { printf 'rc=%s out=[%s] err=[%s]' "$rc" "$(out | head -c 300)" "$(err)"; }
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# the daemon's pid as `status` tells it
status_pid() {
	timeout 10 "$sb" status --format yaml --no-autostart </dev/null 2>/dev/null | sed -n 's/^pid: //p'
}
# listed NAME: `status --format yaml` lists NAME (as ready)
listed() {
	timeout 10 "$sb" status --format yaml --no-autostart </dev/null 2>/dev/null >"$work/status" || return 1
	awk -v n="$1" '
	    /^  - destination: / { d = $3; gsub(/"/, "", d) }
	    /^    state: / && d == n { s = $2 }
	    END { if (s == "") exit 1; print s }' "$work/status" > "$work/state"
}
# while_held N WHAT PID MARK RELEASE BASE WANT: PID is an exec held up
# (WHAT) until the file RELEASE exists, its output in BASE.out and
# BASE.err; once a process matching MARK runs (the hold has begun),
# another exec must complete meanwhile; released, PID's exec must print
# WANT
while_held() {
	local n=$1 what=$2 pid=$3 mark=$4 release=$5 base=$6 want=$7 r _i
	for _i in $(seq 100); do pgrep -f "$mark" >/dev/null && break; sleep 0.1; done
	if pgrep -f "$mark" >/dev/null; then ok; else bad "$n: never held up ($what): $(head -c 300 "$base.err")"; fi
	x target 'echo meanwhile'
	if [ $rc -eq 0 ] && [ "$(out)" = meanwhile ] && alive "$pid"; then ok; else
		bad "$n: an exec while $what: $(seen), the held one alive: $(alive "$pid" && echo yes || echo no)"; fi
	touch "$release"
	wait "$pid"
	r=$?
	if [ $r -eq 0 ] && [ "$(cat "$base.out")" = "$want" ]; then ok; else
		bad "$n: the held exec itself: rc=$r out=[$(cat "$base.out")] err=[$(head -c 300 "$base.err")]"; fi
}
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }

# ---- the hostile clients (check 7, 8): python3, PROTOCOL.md's bytes
cat > "$work/pub/mux.py" <<'PY'
import os, socket, struct, sys, time

def u32(x): return struct.pack('>I', x)
def s(b):
    if isinstance(b, str): b = b.encode()
    return u32(len(b)) + b
def frame(body): return u32(len(body)) + body
HELLO = frame(u32(1) + u32(4))
def new_session(rid, cmd='true'):
    return frame(u32(0x10000002) + u32(rid) + s('') + u32(0) * 4 +
                 u32(0xffffffff) + s('') + s(cmd))
def ext_select(rid, args):
    return frame(u32(0x5b000001) + u32(rid) + u32(len(args)) +
                 b''.join(s(a) for a in args))

def recv_until(c, secs):
    """What the master sends within secs, and whether it hung up."""
    got, end = b'', time.time() + secs
    while time.time() < end:
        c.settimeout(max(0.01, end - time.time()))
        try:
            b = c.recv(65536)
        except socket.timeout:
            return got, False
        except ConnectionResetError:
            return got, True
        if not b:
            return got, True
        got += b
    return got, False

def frames(b):
    out = []
    while len(b) >= 8:
        n = struct.unpack('>I', b[:4])[0]
        out.append(struct.unpack('>I', b[4:8])[0])
        b = b[4 + n:]
    return out

def read_hello(c):
    """The master speaks first: its HELLO, alone."""
    b = b''
    c.settimeout(5)
    while len(b) < 4 or len(b) < 4 + struct.unpack('>I', b[:4])[0]:
        try:
            d = c.recv(4096)
        except (socket.timeout, ConnectionResetError):
            return False
        if not d:
            return False
        b += d
    return struct.unpack('>I', b[4:8])[0] == 1

def report(hello, got, eof):
    print('hello=%d eof=%d frames=%s' % (hello, eof, ','.join('%08x' % t for t in frames(got))))

path, mode = sys.argv[1], sys.argv[2]
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(path)
if mode == 'quick':                 # connect and close at once
    c.close(); print('closed'); sys.exit(0)
if mode == 'peer':                  # another user: a valid HELLO, then listen
    try:
        c.sendall(HELLO)
    except (BrokenPipeError, ConnectionResetError):
        pass                        # refused before it was read
    got, eof = recv_until(c, 5)
    print('bytes=%d eof=%d' % (len(got), eof)); sys.exit(0)
hello = read_hello(c)
if mode == 'garbage':               # text where a frame should be
    c.sendall(b'GET / HTTP/1.1\r\nHost: sshbroker\r\n\r\n' + os.urandom(64))
elif mode == 'unknown':             # HELLO, a well-formed unknown message
    c.sendall(HELLO + frame(u32(0x10000077) + u32(7) + os.urandom(32)))
    got, eof = recv_until(c, 1)      # answered FAILURE, the connection stays
    if not eof:
        c.sendall(u32(0xffffffff))   # then garbage: closed
        more, eof = recv_until(c, 5)
        got += more
    report(hello, got, eof); sys.exit(0)
elif mode == 'short':               # a frame length under 4
    c.sendall(u32(2) + b'\x00\x01')
elif mode == 'biglen':              # 4 GiB announced
    c.sendall(u32(0xffffffff) + b'\x00' * 64)
elif mode == 'unknown-first':       # a well-formed unknown message, no HELLO
    c.sendall(frame(u32(0x10000077) + u32(7)))
elif mode == 'version':             # HELLO version 3
    c.sendall(frame(u32(1) + u32(3)))
elif mode == 'nofds':               # NEW_SESSION, no fds, hang up
    c.sendall(HELLO + new_session(1))
    time.sleep(0.2); c.close(); print('closed'); sys.exit(0)
elif mode == 'bytes':               # NEW_SESSION, then data where fds are due
    c.sendall(HELLO + new_session(1))
    time.sleep(0.1)
    c.sendall(b'not a descriptor')
elif mode in ('onefd', 'twofds'):   # selected, NEW_SESSION, too few fds, hang up
    cfg = sys.argv[3]
    c.sendall(HELLO + ext_select(1, ['-F', cfg, 'target']))
    got, eof = recv_until(c, 3)
    c.sendall(new_session(2))
    r, w = os.pipe()
    for _ in range(1 if mode == 'onefd' else 2):
        socket.send_fds(c, [b'\0'], [r])
    os.close(r); os.close(w)
    time.sleep(0.2); c.close(); print('closed select=%s' % ','.join('%08x' % t for t in frames(got))); sys.exit(0)
elif mode == 'unbound':             # NEW_SESSION with its fds, no EXT_SELECT
    c.sendall(HELLO + new_session(1))
    r, w = os.pipe()
    for _ in range(3):
        socket.send_fds(c, [b'\0'], [w])
    os.close(r); os.close(w)
    got, eof = recv_until(c, 2)
    print('answer=%s eof=%d' % (','.join('%08x' % t for t in frames(got)), eof), flush=True)
    sys.stdin.read()                # hang up when told
    c.close(); sys.exit(0)
elif mode == 'silent':              # HELLO, then nothing until stdin closes
    c.sendall(HELLO)
    print('open', flush=True)
    sys.stdin.read()
    got, eof = recv_until(c, 0.2)
    report(hello, got, eof); sys.exit(0)
got, eof = recv_until(c, 5)
report(hello, got, eof)
PY
chmod 644 "$work/pub/mux.py"
mux() { timeout -k 2 20 python3 "$work/pub/mux.py" "$sock" "$@" 2>&1; }

# =====================================================================
# 1. 200 sequential sessions, the first one starting the daemon
note "1. 200 sequential exec"
log_mark
[ -e "$sock" ] && bad "1: $sock exists before the first exec"
# the client that starts the daemon has a pipe open (fd $leak): the
# daemon must not keep it, or whoever waits for that pipe's end (a
# command substitution, make, a CI runner) waits as long as the daemon
rm -f "$work/leak.eof"
exec {leak}> >(cat >/dev/null; echo eof > "$work/leak.eof")
x target true
exec {leak}>&-
first_rc=$rc
fails=0 first=
[ $first_rc -ne 0 ] && { fails=1; first="#1: $(seen)"; }
t0=$(now_ms)
for i in $(seq 2 200); do
	x target true
	if [ $rc -ne 0 ]; then
		fails=$((fails + 1))
		[ -z "$first" ] && first="#$i: $(seen)"
	fi
done
t1=$(now_ms)
note "   200 exec in $((t1 - t0)) ms"
if [ $fails -eq 0 ]; then ok; else bad "1: $fails of 200 exec failed, first $first"; fi
n=$(logins)
if [ "$n" -eq 1 ]; then ok; else bad "1: sshd logged $n logins for 200 exec (want 1)"; fi
dpids=$(daemon_pids)
dpid=$(status_pid)
if [ -n "$dpid" ] && [ "$dpids" = "$dpid" ]; then ok; else
	bad "1: one daemon expected: status says [$dpid], processes [$dpids]"; fi
[ -z "$dpid" ] && dpid=$(echo "$dpids" | head -1)
for _ in $(seq 30); do [ -e "$work/leak.eof" ] && break; sleep 0.1; done
if [ -e "$work/leak.eof" ]; then ok; else
	bad "1: the autostarted daemon keeps a pipe its client had open: $(ls -l "/proc/$dpid/fd" 2>&1 | awk 'NR > 1 { printf "%s->%s ", $9, $11 }')"; fi
if [ -S "$sock" ] && [ -f "$dlog" ] && [ "$(stat -c %a "$(dirname "$sock")")" = 700 ]; then ok; else
	bad "1: want the socket, daemon.log and a 0700 directory: $(ls -la "$(dirname "$sock")" 2>&1)"; fi

# =====================================================================
# 2. stdio, exit statuses, stdin
note "2. stdio and exit statuses"
for code in 0 1 42; do
	x target "echo out; echo err >&2; exit $code"
	if [ $rc -eq $code ] && [ "$(out)" = out ] && [ "$(err)" = err ]; then ok; else
		bad "2: exit $code: $(seen)"; fi
done
# SendEnv and SetEnv as ssh sends them: only what SendEnv names leaves,
# and SetEnv wins over a SendEnv of the same name
SB_SENT=yes SB_OTHER=no SB_BOTH=env sb exec -F "$cfg" -o SendEnv="SB_SENT SB_BOTH" \
    -o SetEnv="SB_SET=set SB_BOTH=setenv" target \
    'echo "$SB_SENT/${SB_OTHER:-unset}/$SB_SET/$SB_BOTH"' </dev/null
if [ $rc -eq 0 ] && [ "$(out)" = "yes/unset/set/setenv" ]; then ok; else
	bad "2: SendEnv/SetEnv through the daemon: $(seen) (want yes/unset/set/setenv)"; fi
x target 'echo before; kill -TERM $$; echo after'
if [ $rc -eq 255 ] && [ "$(out)" = before ]; then ok; else bad "2: remote killed by a signal: $(seen) (want 255)"; fi
head -c 1048576 /dev/urandom > "$work/blob"
sb -t 30 exec -F "$cfg" target cat < "$work/blob"
if [ $rc -eq 0 ] && cmp -s "$work/out" "$work/blob"; then ok; else
	bad "2: 1 MiB through cat: rc=$rc, $(wc -c < "$work/out") bytes back, $(sha256sum < "$work/out" | cut -c1-16) vs $(sha256sum < "$work/blob" | cut -c1-16): $(err)"; fi
# stdin through a pipe too (pollable, unlike the file above)
got=$(cat "$work/blob" | timeout -k 2 30 "$sb" exec -F "$cfg" target 'cat; echo done >&2' 2>"$work/err" | sha256sum)
if [ "$got" = "$(sha256sum < "$work/blob")" ] && [ "$(err)" = "done" ]; then ok; else
	bad "2: 1 MiB piped through cat differs: $(err)"; fi
x target 'wc -c; echo eof'
if [ $rc -eq 0 ] && [ "$(out | tr -d ' \n')" = 0eof ]; then ok; else bad "2: stdin /dev/null: $(seen)"; fi
# stdout and stderr to files (epoll refuses files), and 2>&1 into one
timeout -k 2 20 "$sb" exec -F "$cfg" target 'seq 100000; echo e >&2; exit 7' \
    </dev/null >"$work/file.out" 2>"$work/file.err"
rc=$?
if [ $rc -eq 7 ] && [ "$(sha256sum < "$work/file.out")" = "$(seq 100000 | sha256sum)" ] &&
    [ "$(cat "$work/file.err")" = e ]; then ok; else
	bad "2: output to a file: rc=$rc, $(wc -l < "$work/file.out") lines, err=[$(cat "$work/file.err")]"; fi
timeout -k 2 20 "$sb" exec -F "$cfg" target 'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three' \
    </dev/null >"$work/both" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ "$(tr '\n' ' ' < "$work/both")" = "one two three " ]; then ok; else
	bad "2: 2>&1 into one file: rc=$rc [$(cat "$work/both")]"; fi
# a slow reader: everything the remote command wrote before it exited
# reaches the pipe, however late the reader takes it (stdout, stderr)
got=$(timeout -k 2 30 "$sb" exec -F "$cfg" target 'head -c 1000000 /dev/zero; exit 6' \
    </dev/null 2>"$work/err" | { sleep 1; wc -c; })
if [ "$got" -eq 1000000 ]; then ok; else bad "2: a slow reader of stdout got $got of 1000000 bytes: $(err)"; fi
got=$(timeout -k 2 30 "$sb" exec -F "$cfg" target 'head -c 1000000 /dev/zero >&2' \
    </dev/null 2>&1 >/dev/null | { sleep 1; wc -c; })
if [ "$got" -eq 1000000 ]; then ok; else bad "2: a slow reader of stderr got $got of 1000000 bytes"; fi
# a command with arguments joined as ssh joins them
x target printf '%s-' a 'b c'
if [ $rc -eq 0 ] && [ "$(out)" = "a-b-c-" ]; then ok; else bad "2: arguments: $(seen)"; fi

# =====================================================================
# 3. 50 clients at once
note "3. 50 clients at once"
log_mark
pids=
for i in $(seq 50); do
	timeout -k 2 60 "$sb" exec -F "$cfg" target "echo $i" </dev/null \
	    >"$work/par.$i.out" 2>"$work/par.$i.err" &
	pids="$pids $!"
done
i=0 fails=0 first=
for p in $pids; do
	i=$((i + 1))
	wait "$p"
	r=$?
	if [ $r -ne 0 ] || [ "$(cat "$work/par.$i.out")" != "$i" ]; then
		fails=$((fails + 1))
		[ -z "$first" ] && first="#$i rc=$r out=[$(cat "$work/par.$i.out")] err=[$(head -c 300 "$work/par.$i.err")]"
	fi
done
if [ $fails -eq 0 ]; then ok; else bad "3: $fails of 50 parallel clients wrong, first $first"; fi
n=$(logins)
if [ "$n" -eq 0 ]; then ok; else bad "3: sshd logged $n new logins for 50 parallel clients (want 0)"; fi

# a resolution that takes its time (a Match exec waiting for a file)
# holds up nobody else's: the worker pool grows past the busy thread.
# Released by the test, or after 30 s, past the fast client's 20 s.
{
	printf 'Match exec "i=0; while [ ! -e %s/release ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done"\n' "$work"
	printf '  SetEnv SB_SLOW=1\n'
	printf 'Host *\n'
	cat "$cfg"
} > "$work/cfg-slow"
timeout -k 2 60 "$sb" exec -F "$work/cfg-slow" target 'echo slow' </dev/null \
    >"$work/slow.out" 2>"$work/slow.err" &
while_held 3 "another's Match exec runs" $! "$work/release" "$work/release" \
    "$work/slow" slow

# =====================================================================
# 4. stock OpenSSH through the ControlPath the daemon serves
note "4. stock ssh on the ControlPath"
ssh_() { timeout -k 2 30 ssh -F "$cfg" "$@"; }
if [ -S "$cp_target" ]; then ok; else bad "4: the daemon does not serve $cp_target: $(ls -la "$work/cp")"; fi
sb connect -F "$cfg" target
if [ $rc -eq 0 ]; then ok; else bad "4: connect (prewarm) of a live transport: $(seen)"; fi
log_mark
ssh_ -O check target </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "Master running (pid=$dpid)" "$work/err"; then ok; else
	bad "4: ssh -O check: $(seen) (want Master running (pid=$dpid))"; fi
ssh_ -o ControlMaster=no target 'echo x; echo y >&2; exit 3' </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 3 ] && [ "$(out)" = x ] && [ "$(err)" = y ]; then ok; else bad "4: ssh -o ControlMaster=no session: $(seen)"; fi
ssh_ target 'cat' < "$work/blob" >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$work/out" "$work/blob"; then ok; else bad "4: ssh through the master, 1 MiB through cat: rc=$rc $(err)"; fi
got=$(ssh_ target 'head -c 1000000 /dev/zero' </dev/null 2>"$work/err" | { sleep 1; wc -c; })
if [ "$got" -eq 1000000 ]; then ok; else bad "4: ssh through the master, a slow reader got $got of 1000000 bytes: $(err)"; fi
# -W: the sshd's own banner comes back through a direct-tcpip channel
ssh_ -W "127.0.0.1:$SSHD_PORT" target </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && head -1 "$work/out" | grep -q '^SSH-2\.0-'; then ok; else
	bad "4: ssh -W 127.0.0.1:$SSHD_PORT: rc=$rc out=[$(head -c 100 "$work/out" | tr -cd '[:print:]')] err=[$(err)]"; fi
# -W as the ProxyCommand of a stock ssh, its own login through it
ssh_ -o "ProxyCommand=ssh -F $cfg -W %h:%p target" -o ControlPath=none target 'echo via-W' \
    </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(out)" = via-W ]; then ok; else bad "4: ssh with ssh -W through the master as ProxyCommand: $(seen)"; fi
w_logins=$(logins)   # that one logged in once on its own, through -W
# scp up and back (SFTP, a subsystem through the master)
head -c 300000 /dev/urandom > "$work/up.bin"
timeout -k 2 30 scp -q -F "$cfg" "$work/up.bin" target:up.bin </dev/null >"$work/out" 2>"$work/err" &&
    timeout -k 2 30 scp -q -F "$cfg" target:up.bin "$work/down.bin" </dev/null >"$work/out" 2>>"$work/err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$work/up.bin" "$work/down.bin"; then ok; else bad "4: scp up and back: $(seen)"; fi
# scp -O: the old protocol, a plain exec of scp -t / -f
rm -f "$work/down.bin"
timeout -k 2 30 scp -O -q -F "$cfg" "$work/up.bin" target:up2.bin </dev/null >"$work/out" 2>"$work/err" &&
    timeout -k 2 30 scp -O -q -F "$cfg" target:up2.bin "$work/down.bin" </dev/null >"$work/out" 2>>"$work/err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$work/up.bin" "$work/down.bin"; then ok; else bad "4: scp -O up and back: $(seen)"; fi
# rsync a small tree up and back
mkdir -p "$work/tree/a/b"
echo one > "$work/tree/a/1"
echo two > "$work/tree/a/b/2"
head -c 100000 /dev/urandom > "$work/tree/a/b/blob"
ln -s 1 "$work/tree/a/link"
timeout -k 2 30 rsync -a -e "ssh -F $cfg" "$work/tree/" target:tree/ </dev/null >"$work/out" 2>"$work/err" &&
    timeout -k 2 30 rsync -a -e "ssh -F $cfg" target:tree/ "$work/back/" </dev/null >"$work/out" 2>>"$work/err"
rc=$?
if [ $rc -eq 0 ] && diff -r "$work/tree" "$work/back" >/dev/null 2>&1; then ok; else bad "4: rsync up and back: $(seen)"; fi
n=$(logins)
if [ "$n" -eq "$w_logins" ] && [ "$w_logins" -eq 1 ]; then ok; else
	bad "4: sshd logged $n logins for the stock sessions (want 1: the login made through -W)"; fi
# -O exit: the transport goes, and its socket with it
ssh_ -O exit target </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "Exit request sent" "$work/err"; then ok; else bad "4: ssh -O exit: $(seen)"; fi
for _ in $(seq 30); do listed target || break; sleep 0.1; done
if ! listed target; then ok; else bad "4: after ssh -O exit, status still lists target: $(cat "$work/status")"; fi
if [ ! -e "$cp_target" ]; then ok; else bad "4: after ssh -O exit, $cp_target is still there"; fi
ssh_ -O check target </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -ne 0 ]; then ok; else bad "4: ssh -O check after -O exit still says: $(err)"; fi
# a new transport (its own login), then -O stop: the socket goes, the
# transport stays and keeps serving
log_mark
x target true
if [ $rc -eq 0 ] && [ "$(logins)" -eq 1 ] && [ -S "$cp_target" ]; then ok; else
	bad "4: exec after -O exit: $(seen), $(logins) logins (want 1), socket $(ls "$cp_target" 2>&1)"; fi
ssh_ -O stop target </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "Stop listening request sent" "$work/err"; then ok; else bad "4: ssh -O stop: $(seen)"; fi
if [ ! -e "$cp_target" ]; then ok; else bad "4: after ssh -O stop, $cp_target is still there"; fi
if listed target && [ "$(cat "$work/state")" = ready ]; then ok; else
	bad "4: after ssh -O stop, status does not list target as ready: $(cat "$work/status")"; fi
log_mark
x target 'echo still'
if [ $rc -eq 0 ] && [ "$(out)" = still ] && [ "$(logins)" -eq 0 ]; then ok; else
	bad "4: exec after ssh -O stop: $(seen), $(logins) logins (want 0)"; fi

# =====================================================================
# 5. status, close, reconnection
note "5. status and close"
sb status --format yaml
if [ $rc -eq 0 ]; then ok; else bad "5: status --format yaml: $(seen)"; fi
cp "$work/out" "$work/status.yaml"
if python3 -c 'import yaml' 2>/dev/null; then
	y=$(python3 - "$work/status.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
ts = d['transports']
t = [x for x in ts if x['destination'] == 'target']
print('%s %s %s' % (d['pid'], t[0]['state'] if t else 'none', type(t[0]['channels']).__name__ if t else 'none'))
PY
	)
	if [ "$y" = "$dpid ready int" ]; then ok; else bad "5: status YAML: [$y] from $(cat "$work/status.yaml")"; fi
else
	note "   (no python3 yaml module: keys checked with grep)"
	if grep -q '^  - destination: "target"' "$work/status.yaml" && grep -q '^    state: ready' "$work/status.yaml" &&
	    grep -q '^    channels: [0-9]' "$work/status.yaml"; then ok; else
		bad "5: status YAML lacks destination/state/channels: $(cat "$work/status.yaml")"; fi
fi
sb status
if [ $rc -eq 0 ] && grep -q "^target .*ready" "$work/out"; then ok; else bad "5: status (text): $(seen)"; fi
sb close target
if [ $rc -eq 0 ]; then ok; else bad "5: close target: $(seen)"; fi
if ! listed target; then ok; else bad "5: after close, status lists target: $(cat "$work/status")"; fi
sb close target
if [ $rc -ne 0 ] && [ -s "$work/err" ]; then ok; else bad "5: close of nothing: $(seen) (want a failure)"; fi
log_mark
x target 'echo again'
if [ $rc -eq 0 ] && [ "$(out)" = again ] && [ "$(logins)" -eq 1 ]; then ok; else
	bad "5: exec after close: $(seen), $(logins) logins (want 1)"; fi
if [ -S "$cp_target" ]; then ok; else bad "5: no ControlPath after the reconnection"; fi

# =====================================================================
# 6. sshd killed mid-session
note "6. sshd killed mid-session"
timeout -k 2 60 "$sb" exec -F "$cfg" target 'echo started; exec sleep 30' </dev/null \
    >"$work/long.out" 2>"$work/long.err" &
cpid=$!
bg_pids="$bg_pids $cpid"
for _ in $(seq 100); do grep -q started "$work/long.out" && break; sleep 0.05; done
if grep -q started "$work/long.out"; then
	kill -KILL "$SSHD_PID"
	wait "$SSHD_PID" 2>/dev/null
	SSHD_PID=
	kill_user_sessions
	t0=$(now_ms)
	for _ in $(seq 100); do alive "$cpid" || break; sleep 0.05; done
	took=$(( $(now_ms) - t0 ))
	if alive "$cpid"; then
		bad "6: the client still runs ${took} ms after sshd died"
		kill -KILL "$cpid" 2>/dev/null
		wait "$cpid" 2>/dev/null
	else
		wait "$cpid"
		rc=$?
		if [ $rc -eq 255 ] && [ $took -lt 3000 ]; then ok; else
			bad "6: sshd killed: client rc=$rc after ${took} ms (want 255 within 3 s): $(head -c 500 "$work/long.err")"; fi
	fi
else
	bad "6: the long session did not start: $(cat "$work/long.err")"
fi
if [ "$(daemon_pids)" = "$dpid" ]; then ok; else bad "6: the daemon [$dpid] did not survive: now [$(daemon_pids)]"; fi
# with sshd down: a prompt 255 with a reason, the daemon still up
t0=$(now_ms)
x target true
took=$(( $(now_ms) - t0 ))
if [ $rc -eq 255 ] && [ -s "$work/err" ] && [ $took -lt 5000 ]; then ok; else
	bad "6: exec with sshd down: $(seen) after ${took} ms (want 255 and a reason)"; fi
if sshd_restart; then ok; else bad "6: sshd did not come back on port $SSHD_PORT: $(tail -5 "$SSHD_LOG")"; fi
log_mark
x target 'echo back'
if [ $rc -eq 0 ] && [ "$(out)" = back ] && [ "$(logins)" -eq 1 ]; then ok; else
	bad "6: exec after sshd came back: $(seen), $(logins) logins (want 1)"; fi
if listed target && [ "$(cat "$work/state")" = ready ] && [ "$(status_pid)" = "$dpid" ]; then ok; else
	bad "6: status after the reconnection: $(cat "$work/status")"; fi
if [ "$(daemon_pids)" = "$dpid" ]; then ok; else bad "6: daemon pid changed: [$dpid] -> [$(daemon_pids)]"; fi

# =====================================================================
# 7. another user
note "7. another user"
as_other() { timeout -k 2 20 su -s /bin/sh "$other" -c "$1" </dev/null; }
ctl=$(dirname "$sock")
q_sock=$(printf '%q' "$sock")
out7=$(as_other "SSHBROKER_SOCKET=$q_sock $sb status" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then ok; else bad "7: $other ran status through a 0700 directory: $out7"; fi
if [ -z "$(pgrep -u "$other" -x sshbroker)" ]; then ok; else bad "7: $other started a daemon of its own"; fi
out7=$(as_other "SSHBROKER_SOCKET=$q_sock $sb exec -F $cfg target true" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then ok; else bad "7: $other ran exec through a 0700 directory"; fi
# the directory and the socket opened to everyone: SO_PEERCRED still
# refuses, before a byte is read or written
dlog_mark
chmod 755 "$ctl"
chmod 777 "$sock"
out7=$(as_other "$pyother $work/pub/mux.py $q_sock peer" 2>&1)
out7s=$(as_other "printf '\\000\\000\\000\\010\\000\\000\\000\\001\\000\\000\\000\\004' | timeout 5 socat -t 3 - UNIX-CONNECT:$q_sock 2>/dev/null | wc -c" 2>&1)
out7c=$(as_other "SSHBROKER_SOCKET=$q_sock $sb status --no-autostart" 2>&1)
rc7c=$?
chmod 700 "$ctl"
chmod 600 "$sock"
if [ "$out7" = "bytes=0 eof=1" ]; then ok; else bad "7: $other with a valid HELLO (python): [$out7] (want no answer, closed)"; fi
if [ "$out7s" = 0 ]; then ok; else bad "7: $other with a valid HELLO (socat): [$out7s] bytes back (want 0)"; fi
if [ $rc7c -ne 0 ]; then ok; else bad "7: $other ran sshbroker status on the opened socket: $out7c"; fi
n=$(dlog_since | grep -c "refused a connection from another user")
if [ "$n" -ge 3 ]; then ok; else bad "7: daemon.log has $n \"refused a connection from another user\" (want 3): $(dlog_since | tail -5)"; fi
x target 'echo mine'
if [ $rc -eq 0 ] && [ "$(out)" = mine ]; then ok; else bad "7: the owner after the refusals: $(seen)"; fi

# =====================================================================
# 8. hostile clients beside a well-behaved session
note "8. hostile clients"
fd8=$(fd_count "$dpid")
dlog_mark
timeout -k 2 60 "$sb" exec -F "$cfg" target 'for i in $(seq 20); do echo $i; sleep 0.1; done' \
    </dev/null >"$work/good.out" 2>"$work/good.err" &
good=$!
bg_pids="$bg_pids $good"
# the silent one stays connected throughout; it reports when its stdin
# (a fifo we hold) closes
mkfifo "$work/silent.in"
timeout -k 2 60 python3 "$work/pub/mux.py" "$sock" silent <"$work/silent.in" >"$work/silent.out" 2>&1 &
silent=$!
bg_pids="$bg_pids $silent"
exec {sw}>"$work/silent.in"
for _ in $(seq 50); do grep -q open "$work/silent.out" && break; sleep 0.1; done
if grep -q open "$work/silent.out"; then ok; else bad "8: the silent client did not connect: [$(cat "$work/silent.out")]"; fi
# closed by the daemon, with no answer, and the reason logged
hostile() {   # hostile MODE LOGTEXT [ARGS]
	local got
	got=$(mux "$1" "${@:3}")
	if [ "$got" = "hello=1 eof=1 frames=" ]; then ok; else
		bad "8: hostile client '$1': [$got] (want the daemon's HELLO, then no answer and a hang-up)"; fi
	if [ -n "$2" ]; then
		if dlog_since | grep -q "$2"; then ok; else bad "8: hostile client '$1': no \"$2\" in daemon.log: $(dlog_since | tail -3)"; fi
	fi
}
hostile garbage "frame length over 256 KiB"
hostile short "frame shorter than a message type"
hostile biglen "frame length over 256 KiB"
# an unknown message type after HELLO: FAILURE, the connection stays
# (then garbage ends it); before HELLO, the connection is closed
got=$(mux unknown)
if [ "$got" = "hello=1 eof=1 frames=80000003" ]; then ok; else
	bad "8: an unknown message after HELLO: [$got] (want a FAILURE answer, then closed on the garbage)"; fi
hostile unknown-first "before HELLO"
hostile version "protocol version 3"
hostile bytes "data where file descriptors were due\|expected a file descriptor: a message without one"
got=$(mux nofds)
[ "$got" = closed ] || bad "8: nofds client: $got"
got=$(mux quick)
[ "$got" = closed ] || bad "8: quick client: $got"
got=$(mux onefd "$cfg")
if [ "$got" = "closed select=80000001" ]; then ok; else bad "8: onefd client: [$got] (want its EXT_SELECT answered OK)"; fi
got=$(mux twofds "$cfg")
if [ "$got" = "closed select=80000001" ]; then ok; else bad "8: twofds client: [$got]"; fi
for _ in $(seq 20); do [ "$(dlog_since | grep -c "expected a file descriptor: gone")" -ge 3 ] && break; sleep 0.1; done
n=$(dlog_since | grep -c "expected a file descriptor: gone")
if [ "$n" -ge 3 ]; then ok; else bad "8: daemon.log has $n \"expected a file descriptor: gone\" (want 3: nofds, onefd, twofds): $(dlog_since | tail -5)"; fi
# a NEW_SESSION on a connection with no destination: refused, and the
# fds it brought closed once; a session that comes next may get the same
# fd numbers, and must keep them when the first client hangs up
mkfifo "$work/unbound.in"
timeout -k 2 60 python3 "$work/pub/mux.py" "$sock" unbound <"$work/unbound.in" >"$work/unbound.out" 2>&1 &
ub=$!
bg_pids="$bg_pids $ub"
exec {uw}>"$work/unbound.in"
for _ in $(seq 50); do grep -q answer "$work/unbound.out" && break; sleep 0.1; done
if grep -q "^answer=80000003 eof=0" "$work/unbound.out"; then ok; else
	bad "8: NEW_SESSION without EXT_SELECT: [$(cat "$work/unbound.out")] (want a FAILURE, the connection kept)"; fi
timeout -k 2 60 "$sb" exec -F "$cfg" target 'for i in $(seq 10); do echo $i; sleep 0.1; done' \
    </dev/null >"$work/good2.out" 2>"$work/good2.err" {uw}>&- {sw}>&- &
good2=$!
bg_pids="$bg_pids $good2"
for _ in $(seq 50); do [ -s "$work/good2.out" ] && break; sleep 0.05; done
exec {uw}>&-
wait "$ub" 2>/dev/null
for _ in $(seq 100); do alive "$good2" || break; sleep 0.1; done
wait "$good2"
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$work/good2.out")" = "$(seq 10)" ]; then ok; else
	bad "8: a session started after a refused NEW_SESSION, once that client hung up: rc=$rc out=[$(tr '\n' ' ' < "$work/good2.out")] err=[$(cat "$work/good2.err")]"; fi
# the well-behaved session is untouched
for _ in $(seq 100); do alive "$good" || break; sleep 0.1; done
wait "$good"
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$work/good.out")" = "$(seq 20)" ] && [ ! -s "$work/good.err" ]; then ok; else
	bad "8: the well-behaved session beside them: rc=$rc out=[$(tr '\n' ' ' < "$work/good.out")] err=[$(cat "$work/good.err")]"; fi
x target 'echo after'
if [ $rc -eq 0 ] && [ "$(out)" = after ]; then ok; else bad "8: exec after the hostile clients: $(seen)"; fi
# the silent one is still connected and answered nothing but HELLO
exec {sw}>&-
for _ in $(seq 50); do alive "$silent" || break; sleep 0.1; done
wait "$silent" 2>/dev/null
line=$(tail -1 "$work/silent.out")
if [ "$line" = "hello=1 eof=0 frames=" ]; then ok; else bad "8: the silent client: [$line] (want still connected, nothing sent)"; fi
if [ "$(daemon_pids)" = "$dpid" ]; then ok; else bad "8: daemon pid changed: [$dpid] -> [$(daemon_pids)]"; fi
# every fd the hostile clients passed or left is closed again
for _ in $(seq 30); do [ "$(fd_count "$dpid")" -eq "$fd8" ] && break; sleep 0.1; done
n=$(fd_count "$dpid")
if [ "$n" -eq "$fd8" ]; then ok; else bad "8: daemon fds $fd8 before, $n after the hostile clients: $(ls -l "/proc/$dpid/fd" | tail -n +2 | awk '{print $9 $10 $11}' | tr '\n' ' ')"; fi

# =====================================================================
# 11. an agent that asks its user before it signs (ssh-add -c): the
# daemon waits for it on a worker, and serves everyone else meanwhile.
# The real ssh-agent asks through SSH_ASKPASS, a script that says yes
# once the test releases it (or after 30 s).
note "11. an agent that waits for its user"
cat > "$work/pub/confirm.sh" <<SH
#!/bin/sh
i=0
while [ ! -e "$work/agent-release" ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
echo yes
SH
chmod 755 "$work/pub/confirm.sh"
ssh-keygen -q -t ed25519 -N '' -f "$work/agentkey" </dev/null
cat "$work/agentkey.pub" >> "$home/.ssh/authorized_keys"
agent_out=$(SSH_ASKPASS=$work/pub/confirm.sh SSH_ASKPASS_REQUIRE=force DISPLAY= \
    setsid ssh-agent -s -a "$work/agent.sock" </dev/null 2>/dev/null)
agent_pid=$(printf '%s\n' "$agent_out" | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p')
bg_pids="$bg_pids $agent_pid"
SSH_AUTH_SOCK=$work/agent.sock ssh-add -q -c "$work/agentkey" </dev/null 2>/dev/null
# another name for the same sshd: a transport of its own, logged in
# with the agent's key only
printf 'agented %s\n' "$(cut -d' ' -f1,2 "$work/sshd/host_ed25519.pub")" > "$work/agent_known_hosts"
cat > "$work/cfg-agent" <<CFG
Host agented
  HostName localhost
  HostKeyAlias agented
  Port $SSHD_PORT
  User $user
  IdentityAgent $work/agent.sock
  IdentityFile none
  BatchMode yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $work/agent_known_hosts
  GlobalKnownHostsFile /dev/null
CFG
timeout -k 2 60 "$sb" exec -F "$work/cfg-agent" agented 'echo agent' </dev/null \
    >"$work/agent.out" 2>"$work/agent.err" &
while_held 11 "the agent waits for its user" $! "$work/pub/confirm.sh" \
    "$work/agent-release" "$work/agent" agent
# a transport closed while its login waits on the agent: the exec ends
# with 255 at once, and the daemon serves on
sb close agented
rm -f "$work/agent-release"
timeout -k 2 60 "$sb" exec -F "$work/cfg-agent" agented 'echo agent' </dev/null \
    >"$work/agent.out" 2>"$work/agent.err" &
held=$!
for _ in $(seq 100); do pgrep -f "$work/pub/confirm.sh" >/dev/null && break; sleep 0.1; done
sb close agented
gone "$held" 50
wait "$held"
r=$?
x target 'echo after'
if [ $r -eq 255 ] && [ $rc -eq 0 ] && [ "$(out)" = after ]; then ok; else
	bad "11: closed while the agent waits: rc=$r err=[$(head -c 300 "$work/agent.err")], then $(seen)"; fi
touch "$work/agent-release"
kill "$agent_pid" 2>/dev/null

# =====================================================================
# 12. a ProxyCommand transport, its command deaf to SIGTERM: closing it
# leaves the daemon serving, and the command is killed and reaped (its
# grace runs on a worker, not on the loop)
note "12. a ProxyCommand that ignores SIGTERM"
# (the main config's settings, under a name of its own)
{
	printf 'Host proxied\n'
	printf '  ProxyCommand sh -c '"'"'echo $$ > %s/proxy.pid; trap "" TERM; exec socat - TCP:%%h:%%p'"'"'\n' "$work"
	sed 's/^Host target target2$/Host target target2 proxied/' "$cfg"
} > "$work/cfg-proxy"
rm -f "$work/proxy.pid"
sb exec -F "$work/cfg-proxy" proxied 'echo via-proxy' </dev/null
ppid_=$(cat "$work/proxy.pid" 2>/dev/null)
if [ $rc -eq 0 ] && [ "$(out)" = via-proxy ] && [ -n "$ppid_" ] && alive "$ppid_"; then ok; else
	bad "12: exec through a ProxyCommand: $(seen), proxy pid [$ppid_]"; fi
sb close proxied
if [ $rc -eq 0 ]; then ok; else bad "12: close of the ProxyCommand transport: $(seen)"; fi
x target 'echo still'
if [ $rc -eq 0 ] && [ "$(out)" = still ]; then ok; else bad "12: exec after closing it: $(seen)"; fi
# reaped too: not even a zombie is left
for _ in $(seq 50); do [ -e "/proc/$ppid_" ] || break; sleep 0.1; done
if [ -n "$ppid_" ] && [ ! -e "/proc/$ppid_" ]; then ok; else bad "12: the ProxyCommand ($ppid_) outlived its transport by 5 s: $(cat "/proc/$ppid_/status" 2>/dev/null | grep -E '^(State|PPid)' | tr '\n' ' ')"; fi

# =====================================================================
# 13. forwarding through the daemon: -L and -D from our command line
# (ssh -N style: they stay with the transport), stock ssh's -L through
# the ControlPath, ssh -O forward and -O cancel; sshd behind every one of
# them, so a forwarded connection reads its version line; no new login
note "13. forwarding (-L, -D, -R, ssh -O forward/cancel)"
cat > "$work/pub/fwd.py" <<'PY'
import socket, struct, sys
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
def line():
    b = b""
    while not b.endswith(b"\n") and len(b) < 300:
        c = s.recv(1)
        if not c: break
        b += c
    return b.decode(errors="replace").strip()
def recv_n(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: raise EOFError
        b += c
    return b
if mode == "socks5":
    host, dport = sys.argv[3], int(sys.argv[4])
    s.sendall(b"\x05\x01\x00")
    assert recv_n(2) == b"\x05\x00"
    try:
        addr = b"\x01" + socket.inet_aton(host)
    except OSError:
        addr = b"\x03" + bytes([len(host)]) + host.encode()
    s.sendall(b"\x05\x01\x00" + addr + struct.pack(">H", dport))
    r = recv_n(10)
    assert r[:2] == b"\x05\x00", r
elif mode == "socks4":
    dport = int(sys.argv[4])
    s.sendall(b"\x04\x01" + struct.pack(">H", dport) + socket.inet_aton(sys.argv[3]) + b"me\x00")
    r = recv_n(8)
    assert r[:2] == b"\x00\x5a", r
elif mode == "socks4a":
    dport = int(sys.argv[4])
    s.sendall(b"\x04\x01" + struct.pack(">H", dport) + b"\x00\x00\x00\x01me\x00" + sys.argv[3].encode() + b"\x00")
    r = recv_n(8)
    assert r[:2] == b"\x00\x5a", r
elif mode == "garbage":
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    print("closed" if s.recv(100) == b"" else "answered")
    sys.exit(0)
print(line())
PY
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# fwd MODE PORT [ARGS]: what the far end said first, through a forwarding
fwd() { timeout -k 2 15 python3 "$work/pub/fwd.py" "$@" 2>&1 | tail -1; }
sb connect -F "$cfg" target
log_mark
p1=$(free_port)
sb exec -F "$cfg" -N -L "$p1:127.0.0.1:$SSHD_PORT" target
if [ $rc -eq 0 ] && [ ! -s "$work/err" ]; then ok; else bad "13: exec -N -L: $(seen)"; fi
got=$(fwd banner "$p1")
case $got in SSH-2.0-*) ok ;; *) bad "13: -L $p1 to sshd: [$got]" ;; esac
# the same forwarding asked for again is kept, without a word
sb exec -F "$cfg" -N -L "$p1:127.0.0.1:$SSHD_PORT" target
if [ $rc -eq 0 ] && [ ! -s "$work/err" ]; then ok; else bad "13: the same -L again: $(seen)"; fi
sb status --format yaml
if grep -qF -- "spec: \"-L $p1:127.0.0.1:$SSHD_PORT\"" "$work/out"; then ok; else bad "13: status does not list -L $p1: $(out | tail -8)"; fi
# another forwarding on a port taken: said, and the command still runs,
# unless ExitOnForwardFailure
x -L "$p1:127.0.0.1:1" target 'echo ran'
if [ $rc -eq 0 ] && [ "$(out)" = ran ] && grep -q "Address already in use" "$work/err"; then ok; else bad "13: -L on a taken port: $(seen)"; fi
x -o ExitOnForwardFailure=yes -L "$p1:127.0.0.1:1" target 'echo ran'
if [ $rc -eq 255 ] && [ -z "$(out)" ] && grep -q "ExitOnForwardFailure" "$work/err"; then ok; else bad "13: -L on a taken port with ExitOnForwardFailure: $(seen)"; fi
# -D: SOCKS5 (an address and a name), SOCKS4, SOCKS4a
p2=$(free_port)
sb exec -F "$cfg" -N -D "$p2" target
if [ $rc -eq 0 ]; then ok; else bad "13: exec -N -D: $(seen)"; fi
for how in "socks5 127.0.0.1" "socks5 localhost" "socks4 127.0.0.1" "socks4a localhost"; do
	# shellcheck disable=SC2086 # mode and host
	got=$(fwd ${how% *} "$p2" ${how#* } "$SSHD_PORT")
	case $got in SSH-2.0-*) ok ;; *) bad "13: -D $p2 by $how: [$got]" ;; esac
done
got=$(fwd garbage "$p2")
if [ "$got" = closed ]; then ok; else bad "13: -D $p2 given HTTP instead of SOCKS: [$got]"; fi
# stock ssh: -O forward, then -O cancel, on the daemon's ControlPath
p3=$(free_port)
ssh_ -O forward -L "$p3:127.0.0.1:$SSHD_PORT" target </dev/null >"$work/out" 2>"$work/err"
rc=$?
got=$(fwd banner "$p3")
if [ $rc -eq 0 ] && case $got in SSH-2.0-*) true ;; *) false ;; esac; then ok; else bad "13: ssh -O forward -L $p3: $(seen), through it [$got]"; fi
ssh_ -O cancel -L "$p3:127.0.0.1:$SSHD_PORT" target </dev/null >"$work/out" 2>"$work/err"
rc=$?
got=$(fwd banner "$p3")
case $got in SSH-2.0-*) got=still-forwarding ;; esac
if [ $rc -eq 0 ] && [ "$got" != still-forwarding ]; then ok; else bad "13: ssh -O cancel -L $p3: $(seen), after it [$got]"; fi
# stock ssh -L with a command, ControlMaster=no: the master forwards
p4=$(free_port)
ssh_ -o ControlMaster=no -L "$p4:127.0.0.1:$SSHD_PORT" target 'echo via-master' </dev/null >"$work/out" 2>"$work/err"
rc=$?
got=$(fwd banner "$p4")
if [ $rc -eq 0 ] && [ "$(out)" = via-master ] && case $got in SSH-2.0-*) true ;; *) false ;; esac; then ok; else bad "13: ssh -L $p4 through the ControlPath: $(seen), through it [$got]"; fi
# -R: sshd listens, and the daemon connects each forwarded connection
# to its end (sshd's port again)
# fwd_wait PORT: the version line through PORT, tried for up to 5 s (a
# remote forwarding is in place once sshd has answered)
fwd_wait() {
	local _i got=
	for _i in $(seq 50); do
		got=$(fwd banner "$1")
		case $got in SSH-2.0-*) break ;; esac
		sleep 0.1
	done
	printf '%s\n' "$got"
}
p5=$(free_port)
sb exec -F "$cfg" -N -R "$p5:127.0.0.1:$SSHD_PORT" target
got=$(fwd_wait "$p5")
if [ $rc -eq 0 ] && case $got in SSH-2.0-*) true ;; *) false ;; esac; then ok; else bad "13: exec -N -R $p5: $(seen), through it [$got]"; fi
# stock ssh -O forward -R 0: sshd picks the port, ssh prints it
ssh_ -O forward -R "0:127.0.0.1:$SSHD_PORT" target </dev/null >"$work/out" 2>"$work/err"
rc=$?
p6=$(head -1 "$work/out")
got=
case $p6 in ''|*[!0-9]*) ;; *) got=$(fwd_wait "$p6") ;; esac
if [ $rc -eq 0 ] && case $got in SSH-2.0-*) true ;; *) false ;; esac; then ok; else bad "13: ssh -O forward -R 0: $(seen), through port [$p6]: [$got]"; fi
ssh_ -O cancel -R "$p5:127.0.0.1:$SSHD_PORT" target </dev/null >"$work/out" 2>"$work/err"
rc=$?
for _ in $(seq 30); do
	got=$(fwd banner "$p5")
	case $got in SSH-2.0-*) sleep 0.1 ;; *) break ;; esac
done
if [ $rc -eq 0 ] && case $got in SSH-2.0-*) false ;; *) true ;; esac; then ok; else bad "13: ssh -O cancel -R $p5: $(seen), after it [$got]"; fi
n=$(logins)
if [ "$n" -eq 0 ]; then ok; else bad "13: sshd logged $n logins of $user for the forwardings (want 0: all on the one transport)"; fi
# the forwardings end with their transport
sb close target
got=$(fwd banner "$p1")
case $got in SSH-2.0-*) bad "13: -L $p1 still forwards after its transport closed" ;; *) ok ;; esac

# =====================================================================
# 14. what the destination's ssh_config says runs, as ssh reads it:
# RemoteCommand, RequestTTY (and -t, -tt, -T), SessionType
note "14. RemoteCommand, RequestTTY, SessionType"
{ printf 'Host rc\n  RemoteCommand echo from-config\n'; sed 's/^Host target target2$/Host target target2 rc/' "$cfg"; } > "$work/cfg-rc"
sb exec -F "$work/cfg-rc" rc </dev/null
if [ $rc -eq 0 ] && [ "$(out)" = from-config ]; then ok; else bad "14: RemoteCommand: $(seen)"; fi
sb exec -F "$work/cfg-rc" rc 'echo mine' </dev/null
if [ $rc -eq 255 ] && grep -q "Cannot execute command-line and remote command" "$work/err"; then ok; else bad "14: a command and a RemoteCommand: $(seen)"; fi
x -o RequestTTY=force target 'tty'
case "$(out)" in /dev/pts/*) ok ;; *) bad "14: RequestTTY=force: $(seen)" ;; esac
x -tt target 'tty'
case "$(out)" in /dev/pts/*) ok ;; *) bad "14: -tt: $(seen)" ;; esac
x -t target 'tty'
if [ "$(out)" = "not a tty" ] && grep -q "Pseudo-terminal will not be allocated because stdin is not a terminal" "$work/err"; then ok; else bad "14: -t without a terminal: $(seen)"; fi
log_mark
x -o SessionType=none target
sessions=$(tail -n +"$((mark + 1))" "$SSHD_LOG" | grep -c "Starting session")
if [ $rc -eq 0 ] && [ -z "$(out)" ] && [ "$(logins)" -eq 0 ] && [ "$sessions" -eq 0 ]; then ok; else
	bad "14: SessionType=none: $(seen), sshd started $sessions sessions (want 0)"; fi
if command -v script >/dev/null 2>&1; then
	# a terminal on stdin: -t gets one, and the local one is put back
	timeout -k 2 20 script -qec "$sb exec -F $cfg -t target 'tty; echo done'" /dev/null </dev/null >"$work/out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^/dev/pts/' "$work/out" && grep -q done "$work/out"; then ok; else bad "14: -t on a terminal: rc=$rc [$(tr -d '\r' < "$work/out" | head -c 300)]"; fi
	timeout -k 2 20 script -qec "$sb exec -F $cfg target 'tty'" /dev/null </dev/null >"$work/out" 2>&1
	if grep -q "not a tty" "$work/out"; then ok; else bad "14: a command on a terminal, RequestTTY auto: [$(tr -d '\r' < "$work/out" | head -c 300)]"; fi
	# EscapeChar: "~." at the start of a line ends a session that would
	# otherwise run on (cat), with 255; "~~" sends one "~"
	{ sleep 1; printf 'a~~b\r'; sleep 0.5; printf '~~x\r'; sleep 0.5; printf '~.'; sleep 8; } |
	    timeout -k 2 20 script -qec "$sb exec -F $cfg -t target cat" /dev/null >"$work/out" 2>&1
	rc=$?
	if [ $rc -eq 255 ] && grep -q "Connection to target closed" "$work/out" &&
	    grep -q 'a~~b' "$work/out" && tr -d '\r' < "$work/out" | grep -qx '~x'; then ok; else
		bad "14: ~. in a session with a terminal: rc=$rc [$(tr -d '\r' < "$work/out" | head -c 300)]"; fi
else
	note "   (no script(1): the checks with a terminal on stdin are not run)"
fi

# =====================================================================
# 10. no growth over many sessions
note "10. no growth"
for _ in $(seq 20); do x target true; done
sleep 0.2
fd0=$(fd_count "$dpid") rss0=$(rss_kib "$dpid")
t0=$(now_ms)
for _ in $(seq 100); do x target true; done
per=$(( ($(now_ms) - t0) / 100 ))
# 1,000 if they take under 90 s, else what fits (at least 300)
total=1000
[ $((per * 900)) -gt 90000 ] && total=$(( 90000 / (per > 0 ? per : 1) + 100 ))
[ $total -lt 300 ] && total=300
fails=0
for _ in $(seq $((total - 100))); do
	x target true
	[ $rc -eq 0 ] || fails=$((fails + 1))
done
# and 10,000 more requests, each on a control connection of its own
# (HELLO, EXT_SELECT of the live destination, ALIVE_CHECK, EXT_STATUS),
# from one python process so that they take seconds, not minutes
timeout -k 2 120 python3 - "$sock" "$cfg" > "$work/many.out" 2>&1 <<'PY'
import socket, struct, sys
path, cfg = sys.argv[1], sys.argv[2]
def frame(p): return struct.pack(">I", len(p)) + p
def s_(b): return struct.pack(">I", len(b)) + b
def recv_frame(s):
    h = b""
    while len(h) < 4:
        c = s.recv(4 - len(h))
        if not c: raise EOFError
        h += c
    n = struct.unpack(">I", h)[0]; d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        if not c: raise EOFError
        d += c
    return d
ok = 0
for i in range(10000):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    recv_frame(s)
    s.sendall(frame(struct.pack(">II", 1, 4) + s_(b"sshbroker@sshbroker.dev") + s_(b"t")))
    args = [b"-F", cfg.encode(), b"target"]
    s.sendall(frame(struct.pack(">III", 0x5b000001, 1, len(args)) + b"".join(s_(a) for a in args)))
    s.sendall(frame(struct.pack(">II", 0x10000004, 2)))
    s.sendall(frame(struct.pack(">II", 0x5b000002, 3) + s_(b"text")))
    types = [struct.unpack(">I", recv_frame(s)[:4])[0] for _ in range(3)]
    if types == [0x80000001, 0x80000005, 0xdb000001]: ok += 1
    s.close()
print(ok)
PY
many_ok=$(tail -1 "$work/many.out")
if [ "$many_ok" = 10000 ]; then ok; else bad "10: 10,000 control requests: $many_ok answered right ($(head -3 "$work/many.out"))"; fi
sleep 0.2
fd1=$(fd_count "$dpid") rss1=$(rss_kib "$dpid")
note "   $total exec (~${per} ms each) and 10,000 control requests: fds $fd0 -> $fd1, VmRSS $rss0 -> $rss1 KiB"
if [ $fails -eq 0 ]; then ok; else bad "10: $fails of $total exec failed"; fi
if [ "$fd1" -eq "$fd0" ]; then ok; else bad "10: daemon fds $fd0 -> $fd1 over $total exec"; fi
if grep -qa __asan_init "$sb"; then
	# AddressSanitizer holds freed memory in its quarantine on purpose
	# (up to 256 MiB): the daemon's memory says nothing there, but leaks
	# are its own report at exit
	note "   (memory growth not judged: built with AddressSanitizer)"
elif [ $((rss1 - rss0)) -lt 2048 ]; then ok; else bad "10: daemon VmRSS $rss0 -> $rss1 KiB over $total exec (want < 2 MiB growth)"; fi

# =====================================================================
# 9. lifecycle
note "9. lifecycle"
timeout -k 2 10 "$sb" daemon </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "another daemon" "$work/err"; then ok; else
	bad "9: a second daemon: $(seen) (want a failure naming another daemon)"; fi
if [ "$(daemon_pids)" = "$dpid" ] && [ -S "$sock" ]; then ok; else bad "9: the second daemon disturbed the first"; fi
sb stop
if [ $rc -eq 0 ]; then ok; else bad "9: stop: $(seen)"; fi
if gone "$dpid" 50; then ok; else bad "9: the daemon $dpid still runs 5 s after stop"; fi
# a sanitizer build reports leaks and errors at exit, into the log
if grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$(dirname "$sock")/daemon.log" 2>/dev/null; then
	bad "9: the daemon's sanitizer report: $(grep -A12 -E "Sanitizer|runtime error:" "$(dirname "$sock")/daemon.log" | head -40)"
else ok; fi
if [ ! -e "$sock" ] && [ ! -e "$cp_target" ]; then ok; else bad "9: after stop: $(ls -la "$(dirname "$sock")" "$work/cp")"; fi
sb status --no-autostart
if [ $rc -ne 0 ] && [ -z "$(daemon_pids)" ]; then ok; else bad "9: status --no-autostart after stop: $(seen)"; fi
# SIGTERM with a live session: the client ends with 255 at once
timeout -k 2 60 "$sb" exec -F "$cfg" target 'echo started; exec sleep 30' </dev/null \
    >"$work/long.out" 2>"$work/long.err" &
cpid=$!
bg_pids="$bg_pids $cpid"
for _ in $(seq 100); do grep -q started "$work/long.out" && break; sleep 0.05; done
dpid=$(daemon_pids)
if grep -q started "$work/long.out" && [ -n "$dpid" ] && [ "$(echo "$dpid" | wc -l)" -eq 1 ]; then
	kids_before=$(pgrep -P "$dpid" | tr '\n' ' ')
	kill -TERM "$dpid"
	t0=$(now_ms)
	for _ in $(seq 100); do alive "$cpid" || break; sleep 0.05; done
	took=$(( $(now_ms) - t0 ))
	if alive "$cpid"; then
		bad "9: SIGTERM: the client still runs after ${took} ms"
	else
		wait "$cpid"
		rc=$?
		if [ $rc -eq 255 ] && [ $took -lt 3000 ]; then ok; else
			bad "9: SIGTERM: client rc=$rc after ${took} ms (want 255 within 3 s): $(cat "$work/long.err")"; fi
	fi
	if gone "$dpid" 50; then ok; else bad "9: SIGTERM: the daemon still runs after 5 s"; fi
	if [ ! -e "$sock" ] && [ ! -e "$cp_target" ]; then ok; else bad "9: SIGTERM: sockets left: $(ls -la "$(dirname "$sock")" "$work/cp")"; fi
	left=
	for p in $kids_before; do alive "$p" && left="$left $p"; done
	left="$left $(pgrep -P "$dpid" | tr '\n' ' ')"
	if [ -z "$(echo "$left" | tr -d ' ')" ]; then ok; else bad "9: SIGTERM: children left: $left"; fi
	if grep -q "shutting down" "$work/long.err" || grep -q "signal 15" "$dlog"; then ok; else
		bad "9: SIGTERM: neither the client nor the log says why: [$(cat "$work/long.err")]"; fi
else
	bad "9: the session for SIGTERM did not start: daemon [$dpid] $(cat "$work/long.err")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
