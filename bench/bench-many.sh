#!/usr/bin/env bash
# Many transports in one daemon: N (default 1000) names of one local sshd,
# each its own Host block and HostKeyAlias (so each is a transport of its
# own), connected with `sshbroker connect`; then every one of them runs
# `true` through the daemon, to show each still answers.  Prints the time
# taken, the daemon's fds and memory, and memory per transport.
# usage: bench/bench-many.sh [N]   (as root, from a configured build
# directory or with top_builddir set)
set -eu
n=${1:-1000}
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
sb=$top_builddir/src/sshbroker
. "$top_srcdir/tests/transport/lib-sshd.sh"
work=$(mktemp -d /tmp/sb-bench-many.XXXXXX)
export SSHBROKER_SOCKET=$work/broker/control
export XDG_CONFIG_HOME=$work/xdg
export SSHBROKER_IDLE_SECONDS=3600
cleanup() {
	"$sb" stop >/dev/null 2>&1 || true
	sshd_stop
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
user=sbbench
sshd_login_user "$user" "$work/id"
# every transport is an authenticated sshd connection of its own
SSHD_EXTRA_CONFIG="MaxStartups $((n + 100)):30:$((n + 200))
MaxSessions 10"
sshd_start "$work/sshd" ed25519
key=$(cut -d' ' -f1,2 "$work/sshd/host_ed25519.pub")
: > "$work/known_hosts"
{
	for i in $(seq "$n"); do
		printf 'Host m%d\n  HostKeyAlias m%d\n' "$i" "$i"
		echo "m$i $key" >> "$work/known_hosts"
	done
	echo "Host *"
	sshd_client_opts "$user" "$work/id" "$work/known_hosts"
} > "$work/config"
"$sb" connect -F "$work/config" m1
pid=$("$sb" status | awk 'NR == 1 { sub(",", "", $4); print $4 }')
rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
priv() { awk '/^Private/ { s += $2 } END { print s }' "/proc/$pid/smaps_rollup"; }
r0=$(rss); p0=$(priv)
start=$(date +%s%N)
fail=0
for i in $(seq 2 "$n"); do
	"$sb" connect -F "$work/config" "m$i" || fail=$((fail + 1))
done
took=$(( ($(date +%s%N) - start) / 1000000 ))
r1=$(rss); p1=$(priv)
fds=$(ls "/proc/$pid/fd" | wc -l)
held=$("$sb" status | grep -c ' ready ')
echo "connected $((n - 1 - fail)) more transports in $took ms ($fail failed); $held ready"
echo "daemon: $fds fds, VmRSS $r0 -> $r1 KiB, private $p0 -> $p1 KiB"
echo "per transport: RSS $(( (r1 - r0) / (n - 1) )) KiB, private $(( (p1 - p0) / (n - 1) )) KiB"
start=$(date +%s%N)
bad=0
for i in $(seq "$n"); do
	"$sb" exec --no-autostart -F "$work/config" "m$i" true </dev/null ||
	    bad=$((bad + 1))
done
took=$(( ($(date +%s%N) - start) / 1000000 ))
after=$("$sb" status | grep -c ' ready ')
echo "each of the $n ran true: $((n - bad)) answered, $bad did not, in $took ms; $after still ready"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
