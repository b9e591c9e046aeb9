#!/usr/bin/env bash
# `sshbroker exec --direct` next to OpenSSH's ssh, in the same run,
# against a local sshd started here, as an ordinary user made for it:
#   - a fresh connection running `true` (connect, curve25519-sha256,
#     publickey auth, exec, exit), hyperfine;
#   - throughput of one channel, both directions, for chacha20-poly1305
#     and aes128-gcm, SIZE bytes each way (default 1 GiB).
# usage: bench/bench-direct.sh [SIZE_MIB]   (as root, from a configured
# build directory or with top_builddir set; needs hyperfine)
set -eu
mib=${1:-1024}
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
sb=$top_builddir/src/sshbroker
. "$top_srcdir/tests/transport/lib-sshd.sh"
work=$(mktemp -d /tmp/sb-bench-direct.XXXXXX)
trap 'sshd_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
user=sbbench
sshd_login_user "$user" "$work/id"
sshd_start "$work/sshd" ed25519
{
	echo "Host target"
	sshd_client_opts "$user" "$work/id" "$SSHD_KNOWN_HOSTS"
	echo "  KexAlgorithms curve25519-sha256"
} > "$work/config"
"$sb" exec --direct -F "$work/config" target true || { echo "sshbroker cannot log in"; exit 1; }
echo "== a fresh connection running true"
hyperfine -N -w 5 -r 50 -n sshbroker "$sb exec --direct -F $work/config target true" \
    -n ssh "ssh -F $work/config target true"
bytes=$((mib * 1048576))
t() { local s e; s=$(date +%s%N); "$@"; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
for c in chacha20-poly1305@openssh.com aes128-gcm@openssh.com; do
	for tool in sb ssh; do
		if [ $tool = sb ]; then cmd=("$sb" exec --direct); else cmd=(ssh); fi
		up=$(t sh -c "head -c $bytes /dev/zero | $(printf '%q ' "${cmd[@]}") -F $work/config -c $c target 'cat > /dev/null'")
		down=$(t sh -c "$(printf '%q ' "${cmd[@]}") -F $work/config -c $c target 'head -c $bytes /dev/zero' > /dev/null")
		printf '%-10s %-32s up %6d ms (%4d MB/s)  down %6d ms (%4d MB/s)\n' \
		    "$tool" "$c" "$up" $((bytes / 1000 / up)) "$down" $((bytes / 1000 / down))
	done
done
