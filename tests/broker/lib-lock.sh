# One run at a time on a machine, for the broker tests that share system
# users (their authorized_keys, their processes, which the tests kill)
# with every build tree's run.  Source it from bash, then:
#
#   run_locked NAME SECS "$@"
#
# The first call runs this script again under flock(1) on a machine-wide
# lock for NAME and exits with that run's status (99, a hard error, when
# another run keeps the lock past SECS); inside the locked run it closes
# its copy of the lock's fd (flock's keeps the lock) and returns.
# Without flock(1) it returns at once.

run_locked() {
	local name=$1 secs=$2 var fd
	shift 2
	var=SB_LOCKED_${name//-/_}
	lock=/run/lock/sshbroker-$name.lock
	[ -d /run/lock ] || lock=/tmp/sshbroker-$name.lock
	if [ -z "${!var:-}" ] && command -v flock >/dev/null 2>&1; then
		env "$var=1" flock -w "$secs" -E 99 "$lock" "$BASH" "$0" "$@"
		rc=$?
		[ $rc -eq 99 ] && echo "$name.sh: $lock still held by another run after $secs s"
		exit $rc
	fi
	for fd in /proc/$$/fd/*; do
		[ "$(readlink "$fd")" = "$lock" ] && eval "exec ${fd##*/}<&-"
	done
	return 0
}
