#!/usr/bin/env bash
# `sshbroker exec --direct` against a real sshd started here, logging in
# as an ordinary user made by the test (shell /bin/sh): stdio kept apart,
# exit statuses, every way of authenticating (key files plain and
# encrypted, the real ssh-agent, a password through SSH_ASKPASS), the
# failures users meet (wrong key, key file others can read, a refused
# user: exit 255 and ssh's message), a stream through cat, and git and
# rsync using it as their ssh.  Needs root (sshd, useradd).
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
sb=${SSHBROKER:-$top_builddir/src/sshbroker}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "run-direct.sh: needs root (sshd and a test user); not run"
	exit 77
fi
# One run at a time on a machine: the user sbdirect (its password and
# authorized_keys) is shared by every build tree's run.
# shellcheck source=tests/broker/lib-lock.sh
. "$top_srcdir/tests/broker/lib-lock.sh"
run_locked run-direct 600 "$@"
# shellcheck source=tests/transport/lib-sshd.sh
. "$top_srcdir/tests/transport/lib-sshd.sh"

work=$(mktemp -d /tmp/sb-direct.XXXXXX)
agent_pid=
cleanup() {
	sshd_stop
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

user=sbdirect
id "$user" >/dev/null 2>&1 || useradd -m -s /bin/sh "$user"
home=$(getent passwd "$user" | cut -d: -f6)
pw=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)x1
echo "$user:$pw" | chpasswd

mkdir -p "$work/keys"
ssh-keygen -q -t ed25519 -N '' -f "$work/keys/plain" </dev/null
ssh-keygen -q -t ecdsa -N 'secret-pp' -a 4 -f "$work/keys/enc" </dev/null
ssh-keygen -q -t rsa -b 2048 -N '' -f "$work/keys/agent" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$work/keys/stranger" </dev/null
# one key of every type, plain and encrypted
types="ed25519 ecdsa-256 ecdsa-384 ecdsa-521 rsa-3072"
for t in $types; do
	ssh-keygen -q -t "${t%%-*}" $( [ "$t" != "${t#*-}" ] && echo -b "${t#*-}" ) \
	    -N '' -f "$work/keys/all-$t" </dev/null
	ssh-keygen -q -t "${t%%-*}" $( [ "$t" != "${t#*-}" ] && echo -b "${t#*-}" ) \
	    -N 'secret-pp' -a 4 -f "$work/keys/allenc-$t" </dev/null
done
mkdir -p "$home/.ssh"
cat "$work/keys/plain.pub" "$work/keys/enc.pub" "$work/keys/agent.pub" \
    "$work/keys"/all-*.pub "$work/keys"/allenc-*.pub \
    > "$home/.ssh/authorized_keys"
chown -R "$user" "$home/.ssh"
chmod 700 "$home/.ssh"
chmod 600 "$home/.ssh/authorized_keys"

# a user CA: a key known only through its certificate
ssh-keygen -q -t ed25519 -N '' -f "$work/ca" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$work/keys/certified" </dev/null
ssh-keygen -q -t rsa -b 2048 -N '' -f "$work/keys/certified-rsa" </dev/null
ssh-keygen -q -s "$work/ca" -I test -n "$user" "$work/keys/certified.pub" </dev/null
ssh-keygen -q -s "$work/ca" -I test -n "$user" "$work/keys/certified-rsa.pub" </dev/null
chmod 644 "$work/ca.pub"

# a key the server has revoked (listed in authorized_keys too)
ssh-keygen -q -t ed25519 -N '' -f "$work/keys/revoked" </dev/null
cat "$work/keys/revoked.pub" >> "$home/.ssh/authorized_keys"
cp "$work/keys/revoked.pub" "$work/revoked_keys"
chmod 644 "$work/revoked_keys"

SSHD_EXTRA_CONFIG="PasswordAuthentication yes
AcceptEnv SB_*
TrustedUserCAKeys $work/ca.pub
RevokedKeys $work/revoked_keys"
sshd_start "$work/sshd" "ed25519" || { echo "0 passed, 1 failed"; exit 1; }

cat > "$work/config" <<CFG
Host target
  HostName 127.0.0.1
  Port $SSHD_PORT
  User $user
  UserKnownHostsFile $work/known_hosts
  StrictHostKeyChecking yes
  IdentitiesOnly yes
  IdentityAgent none
CFG
cp "$SSHD_KNOWN_HOSTS" "$work/known_hosts"
printf '#!/bin/sh\necho %s\n' "$pw" > "$work/askpass-pw"
printf '#!/bin/sh\necho secret-pp\n' > "$work/askpass-pp"
chmod +x "$work/askpass-pw" "$work/askpass-pp"

run() {
	"$sb" exec --direct -F "$work/config" -o BatchMode=yes "$@"
}

# stdio apart and exit statuses, with a plain key file
for code in 0 1 42; do
	run -i "$work/keys/plain" target "echo out; echo err >&2; exit $code" \
	    </dev/null >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -eq $code ] && [ "$(cat "$work/out")" = out ] &&
	    [ "$(cat "$work/err")" = err ]; then ok; else
		bad "exit $code: rc=$rc out=[$(cat "$work/out")] err=[$(cat "$work/err")]"; fi
done
# a signal ends the remote command: 255, as ssh
run -i "$work/keys/plain" target 'kill -TERM $$' </dev/null >/dev/null 2>&1
rc=$?
if [ $rc -eq 255 ]; then ok; else bad "remote signal: rc=$rc"; fi
# stdin reaches the command; 8 MiB through cat intact
head -c 8388608 /dev/urandom > "$work/blob"
got=$(run -i "$work/keys/plain" target cat < "$work/blob" | sha256sum)
if [ "$got" = "$(sha256sum < "$work/blob")" ]; then ok; else bad "8 MiB through cat differs"; fi
# user certificates (KEY-cert.pub beside the key), ed25519 and RSA
for k in certified certified-rsa; do
	out=$(run -i "$work/keys/$k" target echo cert </dev/null 2>&1)
	if [ "$out" = cert ]; then ok; else bad "certificate $k: $out"; fi
done
# IdentityFile with %-tokens and ${VAR}, expanded as ssh loads keys
cp "$work/keys/plain" "$work/keys/$user-key"
out=$(SB_KEYDIR=$work/keys "$sb" exec --direct -F "$work/config" -o BatchMode=yes \
    -o 'IdentityFile=${SB_KEYDIR}/%r-key' target echo tok </dev/null 2>&1)
if [ "$out" = tok ]; then ok; else bad "IdentityFile tokens: $out"; fi
# SendEnv and SetEnv reach the command (the server accepts SB_*)
out=$(SB_SENT=from-env run -i "$work/keys/plain" -o SendEnv=SB_SENT \
    -o SetEnv=SB_SET=from-config target 'echo "$SB_SENT $SB_SET"' </dev/null 2>&1)
if [ "$out" = "from-env from-config" ]; then ok; else bad "environment: [$out]"; fi
# a slow reader: 200 MiB into a pipe nobody reads for 3 s; flow control
# must hold the data at the server, not in our memory
if [ -x /usr/bin/time ]; then
	# under AddressSanitizer, freed memory waits in a quarantine (256 MiB
	# by default) that would count as ours: measure without it
	bytes=$( { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
	    /usr/bin/time -f '%M' -o "$work/rss" \
	    "$sb" exec --direct -F "$work/config" -o BatchMode=yes \
	    -i "$work/keys/plain" target 'head -c 209715200 /dev/zero' \
	    </dev/null; } | { sleep 3; wc -c; } )
	rss=$(tail -1 "$work/rss")
	if [ "$bytes" -eq 209715200 ] && [ "$rss" -lt 32768 ]; then ok; else
		bad "slow reader: $bytes bytes, max RSS ${rss} KiB"; fi
fi
# an encrypted key, its passphrase through SSH_ASKPASS
out=$(SSH_ASKPASS=$work/askpass-pp SSH_ASKPASS_REQUIRE=force \
    "$sb" exec --direct -F "$work/config" -i "$work/keys/enc" target echo enc </dev/null 2>&1)
if [ "$out" = enc ]; then ok; else bad "encrypted key: $out"; fi
# every key type from a file, plain and encrypted
for t in $types; do
	out=$(run -i "$work/keys/all-$t" target echo "$t" </dev/null 2>&1)
	if [ "$out" = "$t" ]; then ok; else bad "key file $t: $out"; fi
	out=$(SSH_ASKPASS=$work/askpass-pp SSH_ASKPASS_REQUIRE=force \
	    "$sb" exec --direct -F "$work/config" -i "$work/keys/allenc-$t" \
	    target echo "$t" </dev/null 2>&1)
	if [ "$out" = "$t" ]; then ok; else bad "encrypted key file $t: $out"; fi
done
# the real ssh-agent
eval "$(ssh-agent -s -a "$work/agent.sock")" >/dev/null
agent_pid=$SSH_AGENT_PID
ssh-add -q "$work/keys/agent" 2>/dev/null
out=$(run -o IdentityAgent="$work/agent.sock" -o IdentitiesOnly=no target echo agent </dev/null 2>&1)
if [ "$out" = agent ]; then ok; else bad "agent: $out"; fi
# IdentitiesOnly: the agent signs for an IdentityFile key it holds, so an
# encrypted key file needs no passphrase in BatchMode
SSH_AUTH_SOCK=$work/agent.sock SSH_ASKPASS=$work/askpass-pp SSH_ASKPASS_REQUIRE=force \
    ssh-add -q "$work/keys/enc" </dev/null 2>/dev/null
out=$(run -o IdentityAgent="$work/agent.sock" -o IdentitiesOnly=yes \
    -i "$work/keys/enc" target echo only </dev/null 2>&1)
if [ "$out" = only ]; then ok; else bad "IdentitiesOnly with the agent: $out"; fi
# every key type from the agent, one at a time
for t in $types; do
	SSH_AUTH_SOCK=$work/agent.sock ssh-add -q -D 2>/dev/null
	SSH_AUTH_SOCK=$work/agent.sock ssh-add -q "$work/keys/all-$t" 2>/dev/null
	out=$(run -o IdentityAgent="$work/agent.sock" -o IdentitiesOnly=no target echo "$t" </dev/null 2>&1)
	if [ "$out" = "$t" ]; then ok; else bad "agent key $t: $out"; fi
done
# a password through SSH_ASKPASS
out=$(SSH_ASKPASS=$work/askpass-pw SSH_ASKPASS_REQUIRE=force \
    "$sb" exec --direct -F "$work/config" -o PreferredAuthentications=password \
    target echo pw </dev/null 2>&1)
if [ "$out" = pw ]; then ok; else bad "password: $out"; fi
# a revoked key: refused like an unknown one
out=$(run -i "$work/keys/revoked" -o PreferredAuthentications=publickey target true </dev/null 2>&1)
rc=$?
if [ $rc -eq 255 ] && printf '%s' "$out" | grep -q "Permission denied (publickey"; then ok; else bad "revoked key: rc=$rc $out"; fi
# 1 GiB up and back down through cat, re-keying every 64 MiB on the way,
# every byte compared (a keyed AES-CTR stream makes the data fast)
gen() { openssl enc -aes-128-ctr -nosalt -pass pass:sshbroker -pbkdf2 </dev/zero 2>/dev/null | head -c 1073741824; }
want=$(gen | sha256sum)
got=$(gen | run -i "$work/keys/plain" -o RekeyLimit=64M target cat 2>"$work/err" | sha256sum)
if [ "$want" = "$got" ]; then ok; else bad "1 GiB through cat with re-keys differs: $(cat "$work/err")"; fi
# failures: a key the server does not know, a key file others can read
out=$(run -i "$work/keys/stranger" -o PreferredAuthentications=publickey target true </dev/null 2>&1)
rc=$?
if [ $rc -eq 255 ] && printf '%s' "$out" | grep -q "Permission denied (publickey"; then ok; else bad "unknown key: rc=$rc $out"; fi
chmod 644 "$work/keys/plain"
out=$(run -i "$work/keys/plain" -o PreferredAuthentications=publickey target true </dev/null 2>&1)
rc=$?
chmod 600 "$work/keys/plain"
if [ $rc -eq 255 ] && printf '%s' "$out" | grep -q "UNPROTECTED PRIVATE KEY FILE"; then ok; else bad "readable key file: rc=$rc $out"; fi
# a pty: forced with -tt without a terminal, and with -t from a
# terminal (script(1) provides one), exit status kept
out=$(run -i "$work/keys/plain" -tt target 'tty; exit 5' </dev/null 2>&1)
rc=$?
if [ $rc -eq 5 ] && printf '%s' "$out" | grep -q '^/dev/pts/'; then ok; else bad "pty -tt: rc=$rc $out"; fi
if command -v script >/dev/null 2>&1; then
	out=$(script -qec "$sb exec --direct -F $work/config -o BatchMode=yes -i $work/keys/plain -t target 'tty; exit 3'" /dev/null 2>&1)
	rc=$?
	if [ $rc -eq 3 ] && printf '%s' "$out" | grep -q '/dev/pts/'; then ok; else bad "pty -t under script: rc=$rc $out"; fi
fi

# ServerAliveInterval: a server that stops answering is noticed within
# interval x (count + 1); the session processes of sshd are stopped to
# make the black hole
session_pids() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -q "^sshd: $user" &&
		    echo "${p#/proc/}"
	done
}
run -i "$work/keys/plain" -o ServerAliveInterval=1 -o ServerAliveCountMax=2 \
    target 'sleep 60' </dev/null >/dev/null 2>"$work/ka.err" &
ka=$!
for _ in $(seq 50); do [ -n "$(session_pids)" ] && break; sleep 0.1; done
sleep 0.5
pids=$(session_pids)
kill -STOP $pids 2>/dev/null
start=$(date +%s)
waited=0
while kill -0 "$ka" 2>/dev/null && [ $waited -lt 15 ]; do sleep 0.5; waited=$((waited + 1)); done
wait "$ka"
rc=$?
took=$(( $(date +%s) - start ))
kill -CONT $pids 2>/dev/null
kill $pids 2>/dev/null
if [ $rc -eq 255 ] && [ $took -le 6 ] && grep -q "not responding" "$work/ka.err"; then ok; else
	bad "keepalive: rc=$rc after ${took}s: $(cat "$work/ka.err")"; fi

# git and rsync with direct mode as their ssh
cat > "$work/ssh-wrapper" <<WRAP
#!/bin/sh
exec "$sb" exec --direct -F "$work/config" -o BatchMode=yes -i "$work/keys/plain" "\$@"
WRAP
chmod +x "$work/ssh-wrapper"
if command -v git >/dev/null 2>&1; then
	repo=$home/repo.git
	rm -rf "$repo"
	su -s /bin/sh "$user" -c "git init -q --bare '$repo'" 2>/dev/null
	mkdir -p "$work/src" && (cd "$work/src" && git init -q && git config user.email t@t &&
	    git config user.name t && echo hello > f && git add f && git commit -qm one)
	(cd "$work/src" && GIT_SSH_COMMAND="$work/ssh-wrapper" git push -q "target:$repo" HEAD:refs/heads/main) 2>"$work/git.err"
	GIT_SSH_COMMAND="$work/ssh-wrapper" git clone -q -b main "target:$repo" "$work/clone" 2>>"$work/git.err"
	if [ "$(cat "$work/clone/f" 2>/dev/null)" = hello ]; then ok; else bad "git clone: $(cat "$work/git.err")"; fi
fi
if command -v rsync >/dev/null 2>&1; then
	mkdir -p "$work/tree/a/b" && echo one > "$work/tree/a/1" && echo two > "$work/tree/a/b/2"
	chmod a+x "$work"; chmod -R a+rX "$work/tree"
	rsync -a -e "$work/ssh-wrapper" "$work/tree/" "target:$home/tree/" 2>"$work/rsync.err" &&
	    rsync -a -e "$work/ssh-wrapper" "target:$home/tree/" "$work/back/" 2>>"$work/rsync.err"
	if diff -r "$work/tree" "$work/back" >/dev/null 2>&1; then ok; else bad "rsync round trip: $(cat "$work/rsync.err")"; fi
fi

# the same against dropbear
db_bin=$(command -v dropbear || echo /usr/sbin/dropbear)
if [ -x "$db_bin" ]; then
	db_port=$(sshd_free_port)
	dropbearkey -t ed25519 -f "$work/db_host" >/dev/null 2>&1
	echo "[127.0.0.1]:$db_port $(dropbearkey -y -f "$work/db_host" | grep ^ssh- | cut -d' ' -f1,2)" \
	    > "$work/db_known_hosts"
	"$db_bin" -F -E -p "127.0.0.1:$db_port" -r "$work/db_host" 2>"$work/db.log" &
	db_pid=$!
	sshd_wait_port "$db_port"
	dbrun() {
		"$sb" exec --direct -F "$work/config" -o BatchMode=yes -o Port="$db_port" \
		    -o UserKnownHostsFile="$work/db_known_hosts" -i "$work/keys/plain" target "$@"
	}
	out=$(dbrun 'echo dropbear; exit 4' </dev/null 2>&1)
	rc=$?
	if [ $rc -eq 4 ] && [ "$out" = dropbear ]; then ok; else bad "dropbear exec: rc=$rc $out"; fi
	head -c 4194304 /dev/urandom > "$work/blob4"
	if dbrun cat < "$work/blob4" 2>"$work/err" | cmp -s - "$work/blob4"; then ok; else
		bad "dropbear: 4 MiB through cat differs: $(cat "$work/err")"; fi
	kill "$db_pid" 2>/dev/null
	wait "$db_pid" 2>/dev/null
else
	bad "dropbear is not installed"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
