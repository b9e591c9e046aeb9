#!/usr/bin/env bash
# Interoperability of the transport with a real OpenSSH sshd and a real
# dropbear, started here on 127.0.0.1 with throwaway host keys: every
# key exchange x cipher x MAC x host key combination the server accepts
# must reach SERVICE_ACCEPT with the host key verified against
# known_hosts; combinations the server does not accept must fail with
# "no matching"; a long stream with a tiny RekeyLimit must re-key many
# times; a wrong known_hosts key must be refused with its file and line.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
probe=$top_builddir/tests/transport/kex_probe
pass=0
fail=0
skip_reason=""

note() { printf '%s\n' "$*"; }
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); note "FAIL: $*"; }

if [ ! -x "$probe" ]; then
	note "kex_probe not built"; echo "0 passed, 1 failed"; exit 1
fi
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
dropbear_bin=$(command -v dropbear || echo /usr/sbin/dropbear)

work=$(mktemp -d /tmp/sb-interop.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() {
	local port=$1 i
	for i in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

KEXES="curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384 ecdh-sha2-nistp521 diffie-hellman-group14-sha256 diffie-hellman-group16-sha512 diffie-hellman-group18-sha512 diffie-hellman-group-exchange-sha256"
CIPHERS="chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com aes128-ctr aes192-ctr aes256-ctr"
MACS="hmac-sha2-256 hmac-sha2-512 hmac-sha1 hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com hmac-sha1-etm@openssh.com"
HOSTKEYS="ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 rsa-sha2-256 rsa-sha2-512"

# One probe: name of the server, port, kex, cipher, mac, hostkey, and
# whether success is expected.  Writes a result line to stdout.
probe_one() {
	local server=$1 port=$2 kex=$3 cipher=$4 mac=$5 hk=$6 expect=$7 out rc
	out=$("$probe" -t 20000 -k "$kex" -c "$cipher" -m "$mac" -H "$hk" \
	    -f "$work/$server.known_hosts" -n "[127.0.0.1]:$port" \
	    127.0.0.1 "$port" 2>&1)
	rc=$?
	if [ "$expect" = yes ]; then
		if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q "^kex $kex\$" &&
		    printf '%s' "$out" | grep -q "^hostkey $hk\$" &&
		    printf '%s' "$out" | grep -q "^cipher $cipher $cipher\$"; then
			echo "PASS $server $kex $cipher $mac $hk"
		else
			echo "FAIL $server $kex $cipher $mac $hk: $(printf '%s' "$out" | tail -1)"
		fi
	else
		if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "no matching"; then
			echo "PASS $server (refused) $kex $cipher $mac $hk"
		else
			echo "FAIL $server $kex $cipher $mac $hk should be refused: $(printf '%s' "$out" | tail -1)"
		fi
	fi
}
export -f probe_one
export probe work

run_matrix() {
	local server=$1 port=$2 kexes=$3 ciphers=$4 macs=$5 hostkeys=$6
	local k c m h expect aead list
	list=$work/$server.combos
	: > "$list"
	for k in $KEXES; do for c in $CIPHERS; do for h in $HOSTKEYS; do
		case $c in
		chacha20-poly1305@openssh.com|*-gcm@openssh.com) aead=1 ;;
		*) aead=0 ;;
		esac
		for m in $MACS; do
			expect=yes
			case " $kexes " in *" $k "*) ;; *) expect=no ;; esac
			case " $ciphers " in *" $c "*) ;; *) expect=no ;; esac
			case " $hostkeys " in *" $h "*) ;; *) expect=no ;; esac
			if [ $aead = 0 ]; then
				case " $macs " in *" $m "*) ;; *) expect=no ;; esac
			fi
			echo "$server $port $k $c $m $h $expect" >> "$list"
			# with an AEAD cipher the MAC is not negotiated: once
			[ $aead = 1 ] && break
		done
	done; done; done
	while read -r line; do
		case $line in
		PASS*) pass=$((pass + 1)) ;;
		*) fail=$((fail + 1)); note "$line" ;;
		esac
	done < <(xargs -P 2 -L 1 bash -c 'probe_one "$@"' _ < "$list")
}

# ---------------------------------------------------------------- sshd
sshd_port=$(free_port)
mkdir -p "$work/sshd"
for t in ed25519 "ecdsa -b 256" "ecdsa -b 384" "ecdsa -b 521" "rsa -b 3072"; do
	f=$work/sshd/host_$(echo "$t" | tr -d ' -' )
	ssh-keygen -q -N '' -t $t -f "$f" </dev/null || { note "ssh-keygen failed"; exit 1; }
done
{
	echo "Port $sshd_port"
	echo "ListenAddress 127.0.0.1"
	for f in "$work"/sshd/host_*; do
		case $f in *.pub) ;; *) echo "HostKey $f" ;; esac
	done
	echo "PidFile $work/sshd/pid"
	echo "UsePAM no"
	echo "StrictModes no"
	echo "LogLevel ERROR"
	echo "KexAlgorithms ${KEXES// /,}"
	echo "Ciphers ${CIPHERS// /,}"
	echo "MACs ${MACS// /,}"
	echo "HostKeyAlgorithms ${HOSTKEYS// /,}"
	echo "PasswordAuthentication yes"
	echo "MaxSessions 200"
} > "$work/sshd/config"
for f in "$work"/sshd/host_*.pub; do
	echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$f")"
done > "$work/sshd.known_hosts"
mkdir -p /run/sshd 2>/dev/null
"$sshd_bin" -D -e -f "$work/sshd/config" 2>"$work/sshd/log" &
pids+=($!)
if ! wait_port "$sshd_port"; then
	note "sshd did not start:"; cat "$work/sshd/log"
	echo "0 passed, 1 failed"; exit 1
fi
run_matrix sshd "$sshd_port" "$KEXES" "$CIPHERS" "$MACS" "$HOSTKEYS"

# strict kex is in force with this sshd (it offers kex-strict-s)
out=$("$probe" -f "$work/sshd.known_hosts" -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
if printf '%s' "$out" | grep -q '^strict 1$'; then ok; else bad "strict kex not in force: $out"; fi

# OpenSSH's sshd does not re-key before user authentication: a re-key
# asked for then must end with a clear reason, not hang
out=$("$probe" -t 20000 -R 65536 -S 1048576 -f "$work/sshd.known_hosts" \
    -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
if [ $? -ne 0 ] && printf '%s' "$out" | grep -q "refused to re-key"; then ok; else bad "pre-auth re-key with sshd: $out"; fi

# a changed host key is refused, naming the file and line
kh=$work/changed.known_hosts
ssh-keygen -q -N '' -t ed25519 -f "$work/other" </dev/null
{ echo "# first line"; echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$work/other.pub")"; } > "$kh"
out=$("$probe" -H ssh-ed25519 -f "$kh" -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
if [ $? -ne 0 ] && printf '%s' "$out" | grep -q "CHANGED" &&
    printf '%s' "$out" | grep -q "$kh:2" && printf '%s' "$out" | grep -q "SHA256:"; then
	ok
else
	bad "changed host key not refused as expected: $out"
fi
# an unknown key under StrictHostKeyChecking yes is refused
out=$("$probe" -f /dev/null -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
if [ $? -ne 0 ] && printf '%s' "$out" | grep -q "strict checking"; then ok; else bad "unknown key accepted under strict: $out"; fi
# accept-new learns it, as a line that known_hosts then accepts
out=$("$probe" -s accept-new -H ssh-ed25519 -f /dev/null -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
line=$(printf '%s\n' "$out" | sed -n 's/^learned //p')
printf '%s\n' "$line" > "$work/learned"
if [ -n "$line" ] && "$probe" -H ssh-ed25519 -f "$work/learned" -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" >/dev/null 2>&1; then
	ok
else
	bad "accept-new did not learn a usable line: $out"
fi
# ask: "no" refuses
out=$("$probe" -s ask -a no -f /dev/null -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
if [ $? -ne 0 ] && printf '%s' "$out" | grep -q "^ask "; then ok; else bad "ask/no not refused: $out"; fi

# password authentication as an ordinary user made for the test (the
# suite runs as root in CI; elsewhere this part needs root too)
if [ "$(id -u)" -eq 0 ]; then
	testuser=sbtest
	id "$testuser" >/dev/null 2>&1 || useradd -m -s /bin/sh "$testuser"
	pw=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)x1
	echo "$testuser:$pw" | chpasswd
	out=$("$probe" -u "$testuser" -P "$pw" -f "$work/sshd.known_hosts" \
	    -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
	if printf '%s' "$out" | grep -q "^authenticated as $testuser\$"; then ok; else bad "password auth: $out"; fi
	out=$("$probe" -u "$testuser" -P "not-$pw" -f "$work/sshd.known_hosts" \
	    -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
	if [ $? -ne 0 ] && printf '%s' "$out" | grep -q "Permission denied (.*password"; then ok; else bad "wrong password: $out"; fi
	# a session channel: stdout and stderr apart, the exit status
	run_cmd() {
		"$probe" -t 60000 -u "$testuser" -P "$pw" -f "$work/sshd.known_hosts" \
		    -n "[127.0.0.1]:$sshd_port" "$@" 127.0.0.1 "$sshd_port"
	}
	for code in 0 1 42; do
		run_cmd -x "echo out; echo err >&2; exit $code" </dev/null \
		    >"$work/out" 2>"$work/err"
		rc=$?
		if [ $rc -eq $code ] && [ "$(cat "$work/out")" = out ] &&
		    [ "$(cat "$work/err")" = err ]; then ok; else
			bad "exec exit $code: rc=$rc out=$(cat "$work/out") err=$(cat "$work/err")"; fi
	done
	# 100 channels at once on one transport, each with its own output
	out=$(run_cmd -C 100 -x 'echo hello' </dev/null 2>"$work/err")
	rc=$?
	n=$(printf '%s\n' "$out" | grep -c '^\[[0-9]*\] hello$')
	u=$(printf '%s\n' "$out" | sort -u | grep -c hello)
	if [ $rc -eq 0 ] && [ "$n" -eq 100 ] && [ "$u" -eq 100 ]; then ok; else
		bad "100 channels: rc=$rc lines=$n distinct=$u $(cat "$work/err")"; fi
	# 16 MiB through cat and back, re-keying every MiB on the way
	head -c 16777216 /dev/urandom > "$work/blob"
	want=$(sha256sum < "$work/blob")
	got=$(run_cmd -R 1048576 -x cat < "$work/blob" 2>"$work/err" | sha256sum)
	if [ "$want" = "$got" ]; then ok; else bad "16 MiB echo through cat differs: $(cat "$work/err")"; fi
	out=$("$probe" -u "$testuser" -M publickey -f "$work/sshd.known_hosts" \
	    -n "[127.0.0.1]:$sshd_port" 127.0.0.1 "$sshd_port" 2>&1)
	if [ $? -ne 0 ] && printf '%s' "$out" | grep -q "Permission denied"; then ok; else bad "no usable method: $out"; fi
else
	note "not root: password authentication checks not run"
fi

# sshbroker ping: a resolved ssh_config drives the transport's host key
# policy (UserKnownHostsFile, StrictHostKeyChecking, HashKnownHosts,
# HostKeyAlias), as ssh would apply it
sb=${SSHBROKER:-$top_builddir/src/sshbroker}
cat > "$work/ping.conf" <<CFG
Host local
  HostName 127.0.0.1
  Port $sshd_port
  UserKnownHostsFile $work/ping_known_hosts
  StrictHostKeyChecking accept-new
  HashKnownHosts yes
  HostKeyAlgorithms ssh-ed25519
Host aliased
  HostName 127.0.0.1
  Port $sshd_port
  HostKeyAlias myalias
  UserKnownHostsFile $work/ping_known_hosts
  StrictHostKeyChecking yes
CFG
if "$sb" ping -F "$work/ping.conf" local >/dev/null 2>&1 &&
    ssh-keygen -F "[127.0.0.1]:$sshd_port" -f "$work/ping_known_hosts" | grep -q '^|1|'; then
	ok
else
	bad "ping with accept-new did not record a hashed key"
fi
if "$sb" ping -F "$work/ping.conf" -o StrictHostKeyChecking=yes local >/dev/null 2>&1; then ok; else bad "ping: the recorded key is not accepted"; fi
out=$("$sb" ping -F "$work/ping.conf" aliased 2>&1)
if [ $? -eq 255 ] && printf '%s' "$out" | grep -q "myalias"; then ok; else bad "ping: HostKeyAlias not used: $out"; fi

# ------------------------------------------------------------- dropbear
# Debian 12's dropbear (2022.83) offers, as its KEXINIT says:
#   kex: curve25519-sha256(@libssh.org), ecdh-sha2-nistp256/384/521,
#        diffie-hellman-group14-sha256 (and -sha1, and kex-strict-s)
#   host keys: ssh-ed25519, one ecdsa-sha2-*, rsa-sha2-256, ssh-rsa
#   ciphers: chacha20-poly1305@openssh.com, aes128-ctr, aes256-ctr
#   MACs: hmac-sha1, hmac-sha2-256
# It loads one ECDSA key, so the other two curves run on instances of
# their own.
start_dropbear() {
	local name=$1 port=$2 f
	shift 2
	mkdir -p "$work/$name"
	local args=()
	for t in "$@"; do
		f=$work/$name/$(echo "$t" | tr -d ' -')
		dropbearkey -t $t -f "$f" >/dev/null 2>&1 || return 1
		dropbearkey -y -f "$f" 2>/dev/null | grep -E '^(ssh|ecdsa)' |
		    awk -v p="$port" '{print "[127.0.0.1]:" p " " $1 " " $2}' \
		    >> "$work/$name.known_hosts"
		args+=(-r "$f")
	done
	"$dropbear_bin" -F -E -s -p "127.0.0.1:$port" "${args[@]}" \
	    2>"$work/$name/log" &
	pids+=($!)
	wait_port "$port"
}

if [ -x "$dropbear_bin" ]; then
	db_kex="curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384 ecdh-sha2-nistp521 diffie-hellman-group14-sha256"
	db_ciphers="chacha20-poly1305@openssh.com aes128-ctr aes256-ctr"
	db_macs="hmac-sha1 hmac-sha2-256"
	db_port=$(free_port)
	if start_dropbear dropbear "$db_port" ed25519 "ecdsa -s 256" "rsa -s 3072"; then
		HOSTKEYS="ssh-ed25519 ecdsa-sha2-nistp256 rsa-sha2-256 rsa-sha2-512" \
		    run_matrix dropbear "$db_port" "$db_kex" "$db_ciphers" \
		    "$db_macs" "ssh-ed25519 ecdsa-sha2-nistp256 rsa-sha2-256"
	else
		bad "dropbear did not start: $(cat "$work/dropbear/log")"
	fi
	# a long stream with a tiny RekeyLimit re-keys many times; dropbear
	# re-keys before authentication, and checks every packet's MAC
	for cm in chacha20-poly1305@openssh.com:hmac-sha1 aes128-ctr:hmac-sha2-256 aes256-ctr:hmac-sha1; do
		out=$("$probe" -t 60000 -c "${cm%%:*}" -m "${cm#*:}" -R 65536 -S 16777216 \
		    -f "$work/dropbear.known_hosts" -n "[127.0.0.1]:$db_port" \
		    127.0.0.1 "$db_port" 2>&1)
		rk=$(printf '%s' "$out" | sed -n 's/^streamed [0-9]* rekeys \([0-9]*\)$/\1/p')
		if [ -n "$rk" ] && [ "$rk" -ge 20 ]; then ok; else bad "re-key stream with $cm: $out"; fi
	done
	for bits in 384 521; do
		p=$(free_port)
		if start_dropbear "dropbear$bits" "$p" "ecdsa -s $bits"; then
			for k in $db_kex; do
				out=$("$probe" -k "$k" -H "ecdsa-sha2-nistp$bits" \
				    -f "$work/dropbear$bits.known_hosts" \
				    -n "[127.0.0.1]:$p" 127.0.0.1 "$p" 2>&1)
				if [ $? -eq 0 ]; then ok; else bad "dropbear$bits $k: $out"; fi
			done
		else
			bad "dropbear with ecdsa-$bits did not start"
		fi
	done
else
	bad "dropbear is not installed"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
