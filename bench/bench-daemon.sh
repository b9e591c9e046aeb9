#!/usr/bin/env bash
# The daemon next to OpenSSH's ControlMaster, in the same run, against a
# throwaway sshd started here and an ordinary user made for it:
#   (a) a reused session running `true`: `sshbroker exec target true`
#       with the daemon already holding the transport, against
#       `ssh -S SOCK target true` with an `ssh -M -S SOCK -fN target`
#       master; hyperfine (or, without it, an alternating loop timed with
#       $EPOCHREALTIME), in alternating rounds (ROUNDS, default 4);
#       both means, and the ratio averaged over the rounds;
#   (b) memory the daemon adds per idle transport: N transports (default
#       50) to N aliases of the same sshd, each its own Host block and
#       HostKeyAlias, opened with `sshbroker connect`; VmRSS and private
#       memory (smaps_rollup) before and after, per transport; next to it
#       one OpenSSH master process (`ssh -M -fN`).
# The daemon runs on a control socket of its own ($SSHBROKER_SOCKET in a
# temporary directory) and is stopped at the end, as is the master.
# usage: bench/bench-daemon.sh [N] [RUNS]   (as root, from a configured
# build directory or with top_builddir set)
set -eu
n=${1:-50}
runs=${2:-200}
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
sb=${SSHBROKER:-$top_builddir/src/sshbroker}
[ -x "$sb" ] || { echo "no $sb: build first, or set top_builddir or SSHBROKER"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-daemon.sh: needs root (sshd, a user)"; exit 1; }
. "$top_srcdir/tests/transport/lib-sshd.sh"
work=$(mktemp -d /tmp/sb-bench-daemon.XXXXXX)
export SSHBROKER_SOCKET=$work/ctl/control
# defaults only: no settings file of root's in the way
export XDG_CONFIG_HOME=$work/xdg
master=$work/master.sock
cleanup() {
	set +e
	[ -S "$master" ] && ssh -F "$work/config" -S "$master" -O exit target >/dev/null 2>&1
	[ -S "$work/master2.sock" ] && ssh -F "$work/config" -S "$work/master2.sock" -O exit target >/dev/null 2>&1
	timeout 10 "$sb" stop >/dev/null 2>&1
	sshd_stop
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
user=sbbenchd
sshd_login_user "$user" "$work/id"
# shellcheck disable=SC2034 # read by lib-sshd.sh
SSHD_EXTRA_CONFIG="MaxSessions 100"
sshd_start "$work/sshd" ed25519
hostkey=$(cut -d' ' -f1,2 "$work/sshd/host_ed25519.pub")
{
	echo "target $hostkey"
	for i in $(seq "$n"); do echo "h$i $hostkey"; done
} > "$work/known_hosts"
{
	echo "Host target"
	echo "  HostKeyAlias target"
	for i in $(seq "$n"); do
		echo "Host h$i"
		echo "  HostKeyAlias h$i"
	done
	echo "Host *"
	sshd_client_opts "$user" "$work/id" "$work/known_hosts"
	echo "  KexAlgorithms curve25519-sha256"
} > "$work/config"
cfg=$work/config

echo "== $(uname -sr), $(nproc) CPUs, $(ssh -V 2>&1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- (a) a reused session running true
"$sb" connect -F "$cfg" target </dev/null || { echo "sshbroker cannot connect"; exit 1; }
"$sb" exec -F "$cfg" target true </dev/null || { echo "sshbroker exec fails"; exit 1; }
ssh -F "$cfg" -M -S "$master" -fN target </dev/null
ssh -F "$cfg" -S "$master" target true </dev/null || { echo "the ssh master does not serve"; exit 1; }
echo
rounds=${ROUNDS:-4}
echo "== (a) a reused session running true ($runs runs each, in $rounds alternating rounds)"
sb_cmd="$sb exec -F $cfg target true"
ssh_cmd="ssh -F $cfg -S $master target true"
# The machine's speed drifts over a run: each round times both commands
# back to back, and the ratio is taken per round, then averaged.
per=$(( (runs + rounds - 1) / rounds ))
: > "$work/rounds"
for r in $(seq "$rounds"); do
	if command -v hyperfine >/dev/null 2>&1; then
		hyperfine -N -w 20 -r "$per" --export-json "$work/a.json" \
		    -n "sshbroker exec (daemon)" "$sb_cmd" \
		    -n "ssh -S (ControlMaster)" "$ssh_cmd" >/dev/null
		read -r m_sb m_ssh < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(r[0]["mean"] * 1e3, r[1]["mean"] * 1e3)' "$work/a.json")
	else
		t_sb=0 t_ssh=0
		for _ in $(seq 20); do $sb_cmd </dev/null; $ssh_cmd </dev/null; done
		for _ in $(seq "$per"); do
			s=${EPOCHREALTIME/./}; $sb_cmd </dev/null; e=${EPOCHREALTIME/./}
			t_sb=$((t_sb + e - s))
			s=${EPOCHREALTIME/./}; $ssh_cmd </dev/null; e=${EPOCHREALTIME/./}
			t_ssh=$((t_ssh + e - s))
		done
		m_sb=$(awk -v t="$t_sb" -v r="$per" 'BEGIN { print t / r / 1000 }')
		m_ssh=$(awk -v t="$t_ssh" -v r="$per" 'BEGIN { print t / r / 1000 }')
	fi
	echo "$m_sb $m_ssh" >> "$work/rounds"
	awk -v r="$r" -v a="$m_sb" -v b="$m_ssh" 'BEGIN {
		printf "round %d: sshbroker exec %.2f ms, ssh -S %.2f ms, ratio %.2f\n", r, a, b, a / b }'
done
command -v hyperfine >/dev/null 2>&1 || echo "(hyperfine is not installed: alternating loops timed with \$EPOCHREALTIME)"
awk '{ a += $1; b += $2; q = $1 / $2; s += q; if (n == 0 || q < lo) lo = q; if (n == 0 || q > hi) hi = q; n++ }
    END { printf "mean: sshbroker exec %.2f ms, ssh -S %.2f ms; sshbroker / ssh = %.2f (rounds %.2f to %.2f)\n", a / n, b / n, s / n, lo, hi }' "$work/rounds"

# ---- (b) memory per idle transport
# kib PID: "VmRSS Private" in KiB (Private = Private_Clean + Private_Dirty)
kib() {
	local rss priv
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status")
	priv=$(awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' "/proc/$1/smaps_rollup")
	echo "$rss $priv"
}
echo
echo "== (b) memory per idle transport ($n transports)"
dpid=$("$sb" status --format yaml </dev/null | sed -n 's/^pid: //p')
[ -n "$dpid" ] || { echo "no daemon pid from status"; exit 1; }
sleep 0.5
read -r rss0 priv0 < <(kib "$dpid")
t0=${EPOCHREALTIME/./}
for i in $(seq "$n"); do
	"$sb" connect -F "$cfg" "h$i" </dev/null || { echo "connect h$i failed"; exit 1; }
done
t1=${EPOCHREALTIME/./}
sleep 1
read -r rss1 priv1 < <(kib "$dpid")
ready=$("$sb" status --format yaml </dev/null | grep -c '^    state: ready' || true)
echo "daemon pid $dpid: $ready transports ready; $n connects took $(( (t1 - t0) / 1000 )) ms"
printf 'daemon, 1 transport:   VmRSS %6d KiB  private %6d KiB\n' "$rss0" "$priv0"
printf 'daemon, %d transports: VmRSS %6d KiB  private %6d KiB\n' $((n + 1)) "$rss1" "$priv1"
awk -v r0="$rss0" -v r1="$rss1" -v p0="$priv0" -v p1="$priv1" -v n="$n" 'BEGIN {
	printf "per transport:         VmRSS %6.1f KiB  private %6.1f KiB\n", (r1 - r0) / n, (p1 - p0) / n }'
# one OpenSSH master, idle (the one of (a) ran sessions: a fresh one)
ssh -F "$cfg" -M -S "$work/master2.sock" -fN target </dev/null
mpid=$(ssh -F "$cfg" -S "$work/master2.sock" -O check target 2>&1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
sleep 0.5
read -r mrss mpriv < <(kib "$mpid")
printf 'one OpenSSH master:    VmRSS %6d KiB  private %6d KiB  (pid %s)\n' "$mrss" "$mpriv" "$mpid"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
