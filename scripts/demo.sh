#!/usr/bin/env bash
# The broker at work on a machine with no remote host: a throwaway sshd
# on 127.0.0.1 with keys made here, an ordinary user to log in as, and a
# daemon of its own; then sessions through the daemon, the first one
# paying for the handshake and the others reusing the transport, and a
# stock ssh reusing it through its ControlPath.  Everything it starts is
# stopped and removed at the end.  Needs root (sshd and the user), and a
# build: run from the top of the tree after `make`.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
sb=${SSHBROKER:-$here/src/sshbroker}
[ -x "$sb" ] || { echo "demo: build first (make)" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (it starts sshd and makes a user)" >&2
	exit 1
fi
# shellcheck source=tests/transport/lib-sshd.sh
. "$here/tests/transport/lib-sshd.sh"

work=$(mktemp -d /tmp/sshbroker-demo.XXXXXX)
export SSHBROKER_SOCKET=$work/broker/control
cleanup() {
	"$sb" stop >/dev/null 2>&1 || true
	sshd_stop
	rm -rf "$work"
}
trap cleanup EXIT

user=sbdemo
sshd_login_user "$user" "$work/id"
SSHD_EXTRA_CONFIG="Subsystem sftp /usr/lib/openssh/sftp-server"
sshd_start "$work/sshd" ed25519
{
	echo "Host demo"
	sshd_client_opts "$user" "$work/id" "$SSHD_KNOWN_HOSTS"
	echo "  ControlPath $work/cp-%n"
} > "$work/ssh_config"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

echo "== a throwaway sshd on 127.0.0.1:$SSHD_PORT, user $user"
echo "== first session (starts the daemon, connects, authenticates):"
t=$(date +%s%N)
"$sb" exec -F "$work/ssh_config" demo 'echo "   $(whoami)@$(hostname): $(uname -sr)"'
echo "   took $(ms "$t") ms"
echo "== ten more sessions on the same transport:"
total=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	t=$(date +%s%N)
	out=$("$sb" exec -F "$work/ssh_config" demo "echo $i")
	took=$(( ($(date +%s%N) - t) / 1000 ))
	total=$((total + took))
	printf '   session %2s: printed %-2s in %d.%03d ms\n' "$i" "$out" \
	    $((took / 1000)) $((took % 1000))
done
mean=$((total / 10))
printf '   mean %d.%03d ms\n' $((mean / 1000)) $((mean % 1000))
echo "== stock ssh through the broker's ControlPath (no new login):"
ssh -F "$work/ssh_config" -O check demo 2>&1 | sed 's/^/   /'
t=$(date +%s%N)
ssh -F "$work/ssh_config" -o ControlMaster=no demo 'echo "   hello from stock ssh"'
echo "   took $(ms "$t") ms"
echo "== what the daemon holds:"
"$sb" status | sed 's/^/   /'
echo "== one transport, one login, twelve sessions; stopping everything"
