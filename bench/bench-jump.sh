#!/usr/bin/env bash
# `sshbroker exec --direct -J hop1,hop2` next to OpenSSH's `ssh -J
# hop1,hop2`, in the same run, against a local sshd started here that
# plays all three hosts (hop1, hop2, target: aliases with a HostKeyAlias
# each), as an ordinary user made for it (shell /bin/sh):
#   - a fresh two-hop chain running `true` (three connections,
#     curve25519-sha256, ed25519 key, publickey auth each): hyperfine if
#     installed, else a loop alternating the two commands, mean and median;
#   - while a chain is alive (remote `sleep 3`): the client's processes,
#     the sum of their RSS and of their private memory (Private_Clean +
#     Private_Dirty of /proc/PID/smaps_rollup).
# usage: bench/bench-jump.sh [RUNS]   (as root, from a configured build
# directory or with top_builddir set; default 30 runs of each;
# NO_HYPERFINE=1 takes the loop even when hyperfine is there)
set -eu
runs=${1:-30}
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
sb=${SSHBROKER:-$top_builddir/src/sshbroker}
if [ "$(id -u)" -ne 0 ]; then
	echo "bench-jump.sh: needs root (sshd and a test user)" >&2
	exit 1
fi
[ -x "$sb" ] || { echo "bench-jump.sh: no $sb (build first)" >&2; exit 1; }
. "$top_srcdir/tests/transport/lib-sshd.sh"
work=$(mktemp -d /tmp/sb-bench-jump.XXXXXX)
bg=
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; sshd_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
user=sbbench
sshd_login_user "$user" "$work/id"
SSHD_EXTRA_CONFIG="AllowTcpForwarding yes"
sshd_start "$work/sshd" ed25519
key=$(cut -d' ' -f1,2 "$work/sshd/host_ed25519.pub")
for h in hop1 hop2 target; do echo "$h $key"; done > "$work/known_hosts"
{
	for h in hop1 hop2 target; do
		printf 'Host %s\n  HostKeyAlias %s\n' "$h" "$h"
	done
	echo "Host *"
	sshd_client_opts "$user" "$work/id" "$work/known_hosts"
	echo "  KexAlgorithms curve25519-sha256"
} > "$work/config"

sbcmd="$sb exec --direct -F $work/config -J hop1,hop2 target"
sshcmd="ssh -F $work/config -J hop1,hop2 target"
for c in "$sbcmd" "$sshcmd"; do
	out=$($c 'echo chain' 2>&1) || true
	[ "$out" = chain ] || { echo "bench-jump.sh: cannot run: $c: $out" >&2; exit 1; }
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "== a fresh two-hop chain (-J hop1,hop2) running true, $runs runs each"
if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -w 3 -r "$runs" --export-json "$work/times.json" \
	    -n sshbroker "$sbcmd true" -n ssh "$sshcmd true"
	python3 - "$work/times.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
sb, ssh = r["sshbroker"], r["ssh"]
for k in ("mean", "median"):
    print("%-6s sshbroker %7.1f ms   ssh %7.1f ms   ours/ssh %.2f"
          % (k, sb[k] * 1000, ssh[k] * 1000, sb[k] / ssh[k]))
PY
else
	echo "(hyperfine is not installed: a loop alternating the two, 3 warm-up runs each)"
	for _ in 1 2 3; do $sbcmd true; $sshcmd true; done
	: > "$work/sb.ms"
	: > "$work/ssh.ms"
	for _ in $(seq "$runs"); do
		for t in sb ssh; do
			if [ $t = sb ]; then c=$sbcmd; else c=$sshcmd; fi
			s=${EPOCHREALTIME/./}
			$c true
			e=${EPOCHREALTIME/./}
			echo $(( e - s )) >> "$work/$t.ms"
		done
	done
	python3 - "$work/sb.ms" "$work/ssh.ms" <<'PY'
import statistics, sys
v = [[int(l) / 1000 for l in open(f)] for f in sys.argv[1:3]]
for name, f in (("mean", statistics.mean), ("median", statistics.median)):
    a, b = f(v[0]), f(v[1])
    print("%-6s sshbroker %7.1f ms   ssh %7.1f ms   ours/ssh %.2f" % (name, a, b, a / b))
print("stdev  sshbroker %7.1f ms   ssh %7.1f ms"
      % (statistics.stdev(v[0]), statistics.stdev(v[1])))
PY
fi

# memory and processes of one live chain: the client runs in a session of
# its own; once the remote sleep runs, every process of that session is
# sampled three times, the largest sums kept
kib() { awk -v k="$2" '$1 == k":" { print $2; f = 1 } END { if (!f) print 0 }' "$1" 2>/dev/null; }
sample() {   # sample SID: "procs rss_kib private_kib names"
	local p n=0 rss=0 priv=0 names='' r pc pd
	for p in $(pgrep -s "$1"); do
		r=$(kib "/proc/$p/status" VmRSS)
		pc=$(kib "/proc/$p/smaps_rollup" Private_Clean)
		pd=$(kib "/proc/$p/smaps_rollup" Private_Dirty)
		n=$((n + 1)) rss=$((rss + r)) priv=$((priv + pc + pd))
		names="$names $(cat "/proc/$p/comm" 2>/dev/null)"
	done
	echo "$n $rss $priv$names"
}
remote_sleeps() { pgrep -u "$user" -x sleep | wc -l; }
echo
echo "== one live chain (remote sleep 3): the client's processes and memory"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %6s %12s %14s   %s\n' client procs "RSS (KiB)" "Private (KiB)" processes
for t in sshbroker ssh; do
	if [ $t = sshbroker ]; then c=$sbcmd; else c=$sshcmd; fi
	before=$(remote_sleeps)
	setsid $c 'sleep 3' </dev/null &
	bg=$!
	for _ in $(seq 100); do [ "$(remote_sleeps)" -gt "$before" ] && break; sleep 0.05; done
	best="0 0 0"
	for _ in 1 2 3; do
		s=$(sample "$bg")
		set -- $s
		[ "$3" -gt "$(echo "$best" | cut -d' ' -f3)" ] && best=$s
		sleep 0.3
	done
	wait "$bg" || true
	bg=
	set -- $best
	n=$1 rss=$2 priv=$3
	shift 3
	printf '%-10s %6d %12d %14d   %s\n' "$t" "$n" "$rss" "$priv" "$*"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
