#!/usr/bin/env bash
# Differential test: `sshbroker resolve ARGS` must print exactly what
# OpenSSH's `ssh -G ARGS` prints (stdout byte for byte, same exit status),
# and when ssh refuses (exit 255) sshbroker must say why on stderr.
#
# Usage: run-difftest.sh [-j JOBS] [-k] [-v] [--no-gen] [--gen-only]
#                        [--gen-count N] [--gen-seed S] [NAME-GLOB...]
#   -j JOBS      cases run in parallel (default 2, or $DIFFTEST_JOBS)
#   -k           keep the work directory (printed at the end)
#   -v           list every case with its result and ssh's exit status
#   --no-gen     only the handwritten corpus (cases/)
#   --gen-only   only the generated corpus (gen-configs.py)
#   --gen-count N, --gen-seed S   how many generated cases (default 500)
#                and another seed than the fixed default, to explore
#   NAME-GLOB    run only cases whose name matches (hand cases are named
#                after their file, generated ones gen-NNN)
#
# Environment: SSHBROKER (default $top_builddir/src/sshbroker),
# top_srcdir/top_builddir (set by `make check`), REF_SSH (default ssh).
#
# Case format (cases/NAME.conf, optional sidecars):
#   NAME.args   extra command-line arguments, one per line, destination
#               last; default: the single argument "target".  "-F" in the
#               list replaces the automatic "-F <case config>"; a line
#               "@NOF@" means: pass no -F at all.
#   NAME.d/     files copied into the case directory next to the config
#   NAME.setup  bash snippet run in the case directory after copying
#               (chmod/chgrp/... for permission cases); $CASEDIR is set
#   NAME.env    changes to the fixed environment: VAR=value adds or
#               replaces, -VAR removes (@CASEDIR@ and @HOME@ substituted)
#   inc/        copied into every case directory as inc/
#   home-ssh/   copied into $HOME/.ssh (relative Include paths land there)
# Every copied file gets mode 0644 and "@CASEDIR@" replaced with the
# absolute path of the case directory (in .args too).
set -u

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
here=$(dirname "$self")

# ---------------------------------------------------------------- worker
# Runs a list of cases; called through xargs by the main process.
run_tool() {	# run_tool OUTPREFIX CMD ARGS...   (environment: $envv)
	local out=$1
	shift
	(
		cd "$cdir" || exit 126
		exec env -i "${envv[@]}" "$DT_TIMEOUT" -k 5 30 "$@"
	) </dev/null >"$out.out" 2>"$out.err"
	echo $?
}

# case_env SRC NAME: sets envv, the fixed environment both tools get,
# changed by NAME.env (lines VAR=value to add or replace, -VAR to remove)
case_env() {
	local src=$1 name=$2 line v i
	envv=(PATH=/usr/bin:/bin "HOME=$DT_WORK/home" SHELL=/bin/sh
	    SB_TEST_DIR=/tmp/x SB_EMPTY= SB_USER=alice
	    SB_SOCK=/run/sb/agent.sock SB_PORT=2200 SB_HOST=envhost
	    "SB_SPACE=a b" "SB_PCT=50%h" "SB_DOLLAR=a\${SB_USER}b")
	[ -f "$src/$name.env" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		[ -z "$line" ] && continue
		line=${line//@CASEDIR@/$cdir}
		line=${line//@HOME@/$DT_WORK/home}
		case $line in
		-*) v=${line#-} ;;
		*) v=${line%%=*} ;;
		esac
		for i in "${!envv[@]}"; do
			[ "${envv[$i]%%=*}" = "$v" ] && unset 'envv[i]'
		done
		case $line in -*) ;; *) envv+=("$line") ;; esac
	done <"$src/$name.env"
	envv=("${envv[@]}")
}

# prepare_case SRC NAME: (re)create the case directory $cdir from scratch,
# so that side effects of one tool (Match exec) cannot reach the other
prepare_case() {
	local src=$1 name=$2 f
	if [ -d "$cdir" ]; then
		chmod -R u+rwX "$cdir" 2>/dev/null
		rm -rf "$cdir"
	fi
	mkdir -p "$cdir"
	cp "$src/$name.conf" "$cdir/config"
	[ -d "$src/$name.d" ] && cp -R "$src/$name.d/." "$cdir/"
	# the shared inc/ only for cases that mention it (it is big)
	if [ -d "$src/inc" ] && cat "$src/$name".* 2>/dev/null |
	    grep -aq 'inc'; then
		cp -R "$src/inc" "$cdir/inc"
	fi
	grep -rlF @CASEDIR@ "$cdir" | while IFS= read -r f; do
		sed -i "s|@CASEDIR@|$cdir|g" "$f"
	done
	chmod -R u=rwX,go=rX "$cdir"
	if [ -f "$src/$name.setup" ]; then
		(cd "$cdir" && CASEDIR=$cdir bash "$src/$name.setup") \
		    >"$res.setup" 2>&1 || echo "setup failed (ignored)" >>"$res.setup"
	fi
}

run_case() {	# run_case SET NAME
	local set=$1 name=$2 src line f res
	case $set in
	hand) src=$here/cases ;;
	gen) src=$DT_WORK/gen ;;
	*) echo "bad set $set" >&2; return 1 ;;
	esac
	cdir=$DT_WORK/run/$set/$name
	res=$DT_WORK/res/$set.$name
	prepare_case "$src" "$name"

	local -a args=() a2=()
	local nof=0 hasf=0
	if [ -f "$src/$name.args" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line//@CASEDIR@/$cdir}
			case $line in
			@NOF@) nof=1; continue ;;
			-F) hasf=1 ;;
			esac
			args+=("$line")
		done <"$src/$name.args"
	else
		args=(target)
	fi
	if [ $nof = 0 ] && [ $hasf = 0 ]; then
		a2=(-F "$cdir/config" "${args[@]}")
	else
		a2=("${args[@]}")
	fi

	local rs rb why="" o=$DT_WORK/out/$set.$name
	local -a envv
	case_env "$src" "$name"
	rs=$(run_tool "$o.ssh" "$DT_REF" -G "${a2[@]}")
	# a Match exec may have left something behind: start afresh
	if grep -raqi exec "$src/$name".*; then
		prepare_case "$src" "$name"
	fi
	rb=$(run_tool "$o.broker" "$DT_BROKER" resolve "${a2[@]}")
	if [ "$rs" != "$rb" ]; then
		why="exit status differs (ssh $rs, sshbroker $rb)"
	fi
	if ! cmp -s "$o.ssh.out" "$o.broker.out"; then
		why="${why:+$why; }stdout differs"
	fi
	if [ "$rs" = 255 ] && [ ! -s "$o.broker.err" ]; then
		why="${why:+$why; }ssh refused but sshbroker printed no error"
	fi
	if [ "$rb" -ge 124 ] && [ "$rb" != 255 ]; then
		why="${why:+$why; }sshbroker crashed, timed out or could not run (status $rb)"
	fi
	if [ -z "$why" ]; then
		echo "$rs" >"$res.pass"
		if [ "$DT_KEEP" = 0 ]; then
			chmod -R u+rwX "$cdir" 2>/dev/null
			rm -rf "$cdir" "$o".*
		fi
		return 0
	fi
	{
		echo "FAIL: $name ($set) -- $why"
		printf '  args:'
		for line in "${a2[@]}"; do
			printf ' %q' "${line//$cdir/@CASEDIR@}"
		done
		echo
		echo "  config ($src/$name.conf):"
		head -c 2000 "$src/$name.conf" | cat -A | head -n 25 | sed 's/^/  | /'
		if [ "$rs" != 0 ] || [ -s "$o.broker.err" ]; then
			echo "  ssh stderr:"
			tr -d '\r' <"$o.ssh.err" | grep -av '^Pseudo-terminal' |
			    head -n 5 | cut -c1-300 | sed 's/^/  ! /'
			echo "  sshbroker stderr:"
			tr -d '\r' <"$o.broker.err" | head -n 5 | cut -c1-300 |
			    sed 's/^/  ! /'
		fi
		if [ ! -s "$o.broker.out" ] && [ -s "$o.ssh.out" ]; then
			echo "  (sshbroker printed nothing; ssh printed $(wc -l <"$o.ssh.out") lines)"
		elif [ ! -s "$o.ssh.out" ] && [ -s "$o.broker.out" ]; then
			echo "  (ssh printed nothing; sshbroker printed $(wc -l <"$o.broker.out") lines)"
		else
			diff -u --label "ssh -G" --label "sshbroker resolve" \
			    "$o.ssh.out" "$o.broker.out" | head -n 60
		fi
		echo
	} >"$res.fail"
	return 1
}

if [ "${1:-}" = --worker ]; then
	shift
	for spec in "$@"; do
		run_case "${spec%%:*}" "${spec#*:}"
	done
	exit 0
fi

# ------------------------------------------------------------------ main
# Run everything in a private network namespace when we can: ssh -G and
# the resolver should never touch the network, and this guarantees that a
# stray DNS lookup fails at once instead of leaving the machine.
if [ -z "${DT_NETNS_DONE:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
	export DT_NETNS_DONE=1
	exec unshare -n -- "$BASH" "$self" "$@"
fi

jobs=${DIFFTEST_JOBS:-2}
keep=0
verbose=0
do_hand=1
do_gen=1
gen_count=${DIFFTEST_GEN_COUNT:-500}
gen_seed=${DIFFTEST_GEN_SEED:-}
filters=()
while [ $# -gt 0 ]; do
	case $1 in
	-j) jobs=$2; shift ;;
	-k) keep=1 ;;
	-v) verbose=1 ;;
	--no-gen) do_gen=0 ;;
	--gen-only) do_hand=0 ;;
	--gen-count) gen_count=$2; shift ;;
	--gen-seed) gen_seed=$2; shift ;;
	-h|--help) sed -n '2,30p' "$self"; exit 0 ;;
	-*) echo "unknown option $1" >&2; exit 2 ;;
	*) filters+=("$1") ;;
	esac
	shift
done

top_srcdir=${top_srcdir:-$(cd "$here/../../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SSHBROKER=${SSHBROKER:-$top_builddir/src/sshbroker}
REF_SSH=${REF_SSH:-ssh}

if ! DT_REF=$(command -v "$REF_SSH"); then
	echo "SKIP: OpenSSH client ($REF_SSH) not found; cannot run the differential test"
	exit 77
fi
case $SSHBROKER in /*) ;; *) SSHBROKER=$(pwd)/$SSHBROKER ;; esac
echo "reference: $("$DT_REF" -V 2>&1)"
case $("$DT_REF" -V 2>&1) in
OpenSSH_9.2p1*) ;;
*) echo "warning: sshbroker emulates OpenSSH 9.2p1; differences against another version are expected" ;;
esac
echo "candidate: $SSHBROKER"

DT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/difftest.XXXXXX")
if [ $keep = 0 ]; then
	trap 'chmod -R u+rwX "$DT_WORK" 2>/dev/null; rm -rf "$DT_WORK"' EXIT
fi
mkdir -p "$DT_WORK/home/.ssh" "$DT_WORK/res" "$DT_WORK/run" "$DT_WORK/out"
if [ -d "$here/cases/home-ssh" ]; then
	cp -R "$here/cases/home-ssh/." "$DT_WORK/home/.ssh/"
fi
chmod -R u=rwX,go=rX "$DT_WORK/home"
DT_TIMEOUT=$(command -v timeout) || { echo "timeout(1) not found"; exit 99; }
DT_KEEP=$keep
export DT_WORK DT_REF DT_BROKER="$SSHBROKER" DT_TIMEOUT DT_KEEP here

matches() {	# matches NAME: 0 if NAME passes the command-line filters
	local g
	[ ${#filters[@]} = 0 ] && return 0
	for g in "${filters[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == $g ]] && return 0
	done
	return 1
}

specs=()
if [ $do_hand = 1 ]; then
	for f in "$here"/cases/*.conf; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .conf)
		matches "$n" && specs+=("hand:$n")
	done
fi
if [ $do_gen = 1 ]; then
	if command -v python3 >/dev/null 2>&1; then
		if python3 "$here/gen-configs.py" --out "$DT_WORK/gen" \
		    --count "$gen_count" ${gen_seed:+--seed "$gen_seed"}; then
			for f in "$DT_WORK"/gen/*.conf; do
				[ -e "$f" ] || continue
				n=$(basename "$f" .conf)
				matches "$n" && specs+=("gen:$n")
			done
		else
			echo "generator failed" >&2
			specs+=("gen:generator-failed")
		fi
	else
		echo "note: python3 not found, generated cases not run"
	fi
fi

if [ ! -x "$SSHBROKER" ]; then
	echo "ERROR: $SSHBROKER is not an executable (build it first)"
	echo "0 passed, ${#specs[@]} failed"
	exit 1
fi

start=$(date +%s)
if [ ${#specs[@]} -gt 0 ]; then
	printf '%s\0' "${specs[@]}" |
	    xargs -0 -r -n 8 -P "$jobs" "$BASH" "$self" --worker
fi
end=$(date +%s)

pass=0
fail=0
failed=()
for spec in "${specs[@]}"; do
	set=${spec%%:*}
	n=${spec#*:}
	r=$DT_WORK/res/$set.$n
	if [ -f "$r.pass" ]; then
		pass=$((pass + 1))
		[ $verbose = 1 ] && echo "ok   $n (ssh exit $(cat "$r.pass"))"
	else
		fail=$((fail + 1))
		failed+=("$n")
		if [ -f "$r.fail" ]; then
			cat "$r.fail"
		else
			echo "FAIL: $n ($set) -- case did not run"
			echo
		fi
	fi
done
if [ $fail -gt 0 ]; then
	echo "failed cases: ${failed[*]}"
fi
echo "elapsed: $((end - start))s; work directory: $DT_WORK$([ $keep = 0 ] && echo ' (removed)')"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
