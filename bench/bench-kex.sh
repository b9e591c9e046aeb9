#!/usr/bin/env bash
# Time of a full key exchange (connect, version exchange, KEXINIT,
# curve25519-sha256 with an ed25519 host key verified against known_hosts,
# NEWKEYS, and the ssh-userauth service) against a local sshd started
# here, next to OpenSSH's own client doing the same key exchange in the
# same run.  ssh goes one step further (the "none" authentication request
# and its refusal, one more round trip on loopback); both are whole
# processes.
#
# usage: bench/bench-kex.sh [runs]   (from a configured build directory,
# or set top_builddir); needs root for sshd, and hyperfine if installed.
set -eu
runs=${1:-100}
top_builddir=${top_builddir:-$(pwd)}
probe=$top_builddir/tests/transport/kex_probe
[ -x "$probe" ] || { echo "build tests/transport/kex_probe first (make check-programs)"; exit 1; }
work=$(mktemp -d /tmp/sb-bench-kex.XXXXXX)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
ssh-keygen -q -N '' -t ed25519 -f "$work/hostkey" </dev/null
cat > "$work/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $work/hostkey
PidFile $work/pid
UsePAM no
StrictModes no
LogLevel QUIET
MaxStartups 100:30:200
CFG
mkdir -p /run/sshd
/usr/sbin/sshd -f "$work/sshd_config"
for i in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/hostkey.pub")" > "$work/known_hosts"
ours="$probe -k curve25519-sha256 -H ssh-ed25519 -f $work/known_hosts -n [127.0.0.1]:$port 127.0.0.1 $port"
theirs="ssh -F none -p $port -o BatchMode=yes -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519 -o UserKnownHostsFile=$work/known_hosts -o GlobalKnownHostsFile=none -o StrictHostKeyChecking=yes -o PreferredAuthentications=publickey -o IdentitiesOnly=yes -o IdentityFile=$work/none -o User=nobody 127.0.0.1 true"
$ours >/dev/null || { echo "our probe failed"; exit 1; }
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -i --warmup 10 -r "$runs" -n sshbroker "$ours" -n openssh "$theirs"
else
	t() { local s e; s=$(date +%s%N); for i in $(seq "$runs"); do "$@" >/dev/null 2>&1 || true; done; e=$(date +%s%N); echo $(( (e - s) / runs / 1000 )); }
	a=$(t $ours); b=$(t $theirs)
	echo "sshbroker: ${a} us per key exchange; openssh: ${b} us; ratio $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a/b}')"
fi
