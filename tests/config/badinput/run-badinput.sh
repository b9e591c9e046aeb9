#!/usr/bin/env bash
# Hostile and broken inputs: `sshbroker resolve` must end the way
# `ssh -G` does (same exit status, same stdout), never by a signal, and
# when ssh refuses it must print an error on stderr that names the file
# (and the line, when ssh's message names one).
#
# Usage: run-badinput.sh [-k] [-v] [NAME-GLOB...]
# Environment: SSHBROKER (default $top_builddir/src/sshbroker), REF_SSH.
set -u

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
here=$(dirname "$self")

if [ -z "${BI_NETNS_DONE:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
	export BI_NETNS_DONE=1
	exec unshare -n -- "$BASH" "$self" "$@"
fi

keep=0
verbose=0
filters=()
while [ $# -gt 0 ]; do
	case $1 in
	-k) keep=1 ;;
	-v) verbose=1 ;;
	-h|--help) sed -n '2,9p' "$self"; exit 0 ;;
	-*) echo "unknown option $1" >&2; exit 2 ;;
	*) filters+=("$1") ;;
	esac
	shift
done

top_srcdir=${top_srcdir:-$(cd "$here/../../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SSHBROKER=${SSHBROKER:-$top_builddir/src/sshbroker}
REF_SSH=${REF_SSH:-ssh}
if ! REF=$(command -v "$REF_SSH"); then
	echo "SKIP: OpenSSH client ($REF_SSH) not found"
	exit 77
fi
case $SSHBROKER in /*) ;; *) SSHBROKER=$(pwd)/$SSHBROKER ;; esac
echo "reference: $("$REF" -V 2>&1)"
case $("$REF" -V 2>&1) in
OpenSSH_9.2p1*) ;;
*) echo "warning: sshbroker emulates OpenSSH 9.2p1; differences against another version are expected" ;;
esac
echo "candidate: $SSHBROKER"
if [ ! -x "$SSHBROKER" ]; then
	echo "ERROR: $SSHBROKER is not an executable (build it first)"
	echo "0 passed, 1 failed"
	exit 1
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/badinput.XXXXXX")
[ $keep = 0 ] && trap 'chmod -R u+rwX "$W" 2>/dev/null; rm -rf "$W"' EXIT
mkdir -p "$W/home/.ssh"

pass=0
fail=0
skip=0
failed=()

run_tool() {	# run_tool OUTPREFIX DIR CMD...
	local out=$1 dir=$2
	shift 2
	(
		cd "$dir" || exit 126
		exec env -i PATH=/usr/bin:/bin HOME="$W/home" SHELL=/bin/sh \
		    SB_TEST_DIR=/tmp/x timeout -k 5 60 "$@"
	) </dev/null >"$out.out" 2>"$out.err"
	echo $?
}

selected() {
	local g
	[ ${#filters[@]} = 0 ] && return 0
	for g in "${filters[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == $g ]] && return 0
	done
	return 1
}

# check NAME ARGS...: run both tools on ARGS (the case's files are in $D)
check() {
	local name=$1
	shift
	local rs rb why="" file="" line="" re
	rs=$(run_tool "$D/ssh" "$D" "$REF" -G "$@")
	rb=$(run_tool "$D/broker" "$D" "$SSHBROKER" resolve "$@")
	if [ "$rb" -ge 124 ] && [ "$rb" != 255 ]; then
		why="sshbroker died or timed out (status $rb)"
	elif [ "$rs" != "$rb" ]; then
		why="exit status differs (ssh $rs, sshbroker $rb)"
	fi
	if ! cmp -s "$D/ssh.out" "$D/broker.out"; then
		why="${why:+$why; }stdout differs ($(wc -c <"$D/ssh.out") vs $(wc -c <"$D/broker.out") bytes)"
	fi
	if [ "$rs" = 255 ]; then
		if [ ! -s "$D/broker.err" ]; then
			why="${why:+$why; }no error message on stderr"
		else
			# The file (and line) ssh's first message names.
			re='(/[^ :]+)(:? line ([0-9]+))?'
			while IFS= read -r l; do
				l=${l%$'\r'}
				if [[ $l =~ $re ]]; then
					file=${BASH_REMATCH[1]}
					line=${BASH_REMATCH[3]}
					break
				fi
			done < <(grep -av '^Pseudo-terminal' "$D/ssh.err")
			if [ -n "$file" ] && [ -n "$line" ]; then
				if ! grep -aF -- "$file" "$D/broker.err" |
				    grep -aEq "(^|[^0-9])$line([^0-9]|$)"; then
					why="${why:+$why; }error does not name $file line $line"
				fi
			elif [ -n "$file" ]; then
				if ! grep -aqF -- "$file" "$D/broker.err"; then
					why="${why:+$why; }error does not name $file"
				fi
			fi
		fi
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		[ $verbose = 1 ] && echo "ok   $name (ssh exit $rs)"
		return 0
	fi
	fail=$((fail + 1))
	failed+=("$name")
	echo "FAIL: $name -- $why"
	echo "  ssh exit $rs, stderr:"
	grep -av '^Pseudo-terminal' "$D/ssh.err" | tr -d '\r' | head -n 3 | cut -c1-300 | sed 's/^/  ! /'
	echo "  sshbroker exit $rb, stderr:"
	head -n 3 "$D/broker.err" | tr -d '\r' | cut -c1-300 | sed 's/^/  ! /'
	if ! cmp -s "$D/ssh.out" "$D/broker.out"; then
		diff -u --label "ssh -G" --label "sshbroker resolve" \
		    "$D/ssh.out" "$D/broker.out" | head -n 30 | cut -c1-300
	fi
	echo
}

# newcase NAME: 0 if the case is selected; sets D to a fresh directory
newcase() {
	selected "$1" || return 1
	D=$W/$1
	mkdir -p "$D"
	return 0
}

skipcase() {
	skip=$((skip + 1))
	echo "SKIP: $1 -- $2"
}

bytes() {	# bytes N CHAR: N copies of CHAR
	head -c "$1" /dev/zero | tr '\0' "$2"
}

# ------------------------------------------------------------------ cases
if newcase unknown-keyword; then
	printf 'User a\nPort 22\nFrobnicate yes\n' >"$D/c"
	check unknown-keyword -F "$D/c" target
fi
if newcase bad-value; then
	printf 'User a\nPort 99999\n' >"$D/c"
	check bad-value -F "$D/c" target
fi
if newcase bad-yesno; then
	printf '\n\n\n\nCompression maybe\n' >"$D/c"
	check bad-yesno -F "$D/c" target
fi
if newcase bad-value-cmdline; then
	check bad-value-cmdline -F none -o 'Port=x' target
fi
if newcase many-bad-lines; then
	for i in $(seq 1 1000); do echo "Bogus$i yes"; done >"$D/c"
	check many-bad-lines -F "$D/c" target
fi
if newcase include-loop; then
	printf 'Include %s/c\n' "$D" >"$D/c"
	check include-loop -F "$D/c" target
fi
if newcase include-glob-loop; then
	mkdir "$D/d"
	printf 'Include %s/d/*.conf\n' "$D" >"$D/d/a.conf"
	printf 'Include %s/d/*.conf\n' "$D" >"$D/c"
	check include-glob-loop -F "$D/c" target
fi
if newcase missing-F; then
	check missing-F -F "$D/does-not-exist" target
fi
if newcase F-symlink-loop; then
	ln -s "$D/loop" "$D/loop"
	check F-symlink-loop -F "$D/loop" target
fi
if newcase include-symlink-loop; then
	ln -s "$D/loop" "$D/loop"
	printf 'Include %s/loop\n' "$D" >"$D/c"
	check include-symlink-loop -F "$D/c" target
fi
if newcase F-directory; then
	check F-directory -F "$D" target
fi
if newcase unreadable; then
	printf 'User a\n' >"$D/c"
	chmod 000 "$D/c"
	if [ "$(id -u)" = 0 ]; then
		skipcase unreadable "running as root: a mode 000 file is still readable, nothing to test"
	else
		check unreadable -F "$D/c" target
	fi
fi
if newcase unreadable-include; then
	printf 'User a\n' >"$D/i"
	chmod 000 "$D/i"
	printf 'Include %s/i\n' "$D" >"$D/c"
	if [ "$(id -u)" = 0 ]; then
		skipcase unreadable-include "running as root: a mode 000 file is still readable, nothing to test"
	else
		check unreadable-include -F "$D/c" target
	fi
fi
if newcase bad-permissions-include; then
	printf 'User a\n' >"$D/i"
	chmod 0666 "$D/i"
	printf 'Port 22\nInclude %s/i\n' "$D" >"$D/c"
	check bad-permissions-include -F "$D/c" target
fi
if newcase bad-owner-include; then
	printf 'User a\n' >"$D/i"
	if chown nobody "$D/i" 2>/dev/null; then
		printf 'Include %s/i\n' "$D" >"$D/c"
		check bad-owner-include -F "$D/c" target
	else
		skipcase bad-owner-include "cannot chown a file to nobody (not root)"
	fi
fi
if newcase long-line-value; then
	{ printf 'User '; bytes 1048576 a; printf '\n'; } >"$D/c"
	check long-line-value -F "$D/c" target
fi
if newcase long-line-keyword; then
	{ printf 'Port 22\n'; bytes 1048576 K; printf ' yes\n'; } >"$D/c"
	check long-line-keyword -F "$D/c" target
fi
if newcase long-line-comment; then
	{ printf '#'; bytes 1048576 c; printf '\nUser after\n'; } >"$D/c"
	check long-line-comment -F "$D/c" target
fi
if newcase long-line-no-newline; then
	{ printf 'Port 22\nSendEnv '; bytes 1048576 V; } >"$D/c"
	check long-line-no-newline -F "$D/c" target
fi
if newcase long-line-spaces; then
	{ printf 'User'; bytes 1048576 ' '; printf 'bob\n'; } >"$D/c"
	check long-line-spaces -F "$D/c" target
fi
if newcase long-cmdline-option; then
	# (one argument may not exceed 128 KiB on Linux)
	check long-cmdline-option -F none -o "User=$(bytes 120000 u)" target
fi
if newcase long-hostname; then
	{ printf 'Hostname '; bytes 100000 h; printf '\n'; } >"$D/c"
	check long-hostname -F "$D/c" target
fi
if newcase many-tokens; then
	{ printf 'SendEnv'; for i in $(seq 1 10000); do printf ' V%d' "$i"; done; printf '\n'; } >"$D/c"
	check many-tokens -F "$D/c" target
fi
if newcase many-host-patterns; then
	{ printf 'Host'; for i in $(seq 1 10000); do printf ' h%d' "$i"; done; printf ' target\n  User found\n'; } >"$D/c"
	check many-host-patterns -F "$D/c" target
fi
if newcase nul-in-value; then
	printf 'User bob\0evil\nPort 2222\n' >"$D/c"
	check nul-in-value -F "$D/c" target
fi
if newcase nul-in-keyword; then
	printf 'Port 22\nUs\0er bob\n' >"$D/c"
	check nul-in-keyword -F "$D/c" target
fi
if newcase nul-only-lines; then
	printf '\0\0\0\n\0\nUser bob\n' >"$D/c"
	check nul-only-lines -F "$D/c" target
fi
if newcase invalid-utf8-value; then
	printf 'User \xff\xfe\xc0\xafbob\nHostname h\xe9\n' >"$D/c"
	check invalid-utf8-value -F "$D/c" target
fi
if newcase invalid-utf8-keyword; then
	printf 'Port 22\n\xff\xfeUser bob\n' >"$D/c"
	check invalid-utf8-keyword -F "$D/c" target
fi
if newcase utf8-bom; then
	printf '\xef\xbb\xbfUser bob\n' >"$D/c"
	check utf8-bom -F "$D/c" target
fi
if newcase utf16-file; then
	printf 'U\0s\0e\0r\0 \0b\0o\0b\0\n\0' >"$D/c"
	check utf16-file -F "$D/c" target
fi
if newcase binary-garbage; then
	# deterministic pseudo-random bytes
	awk 'BEGIN { srand(42); for (i = 0; i < 65536; i++) printf "%c", int(rand() * 256) }' \
	    </dev/null >"$D/c"
	check binary-garbage -F "$D/c" target
fi
if newcase cr-only-endings; then
	printf 'User bob\rPort 2222\r' >"$D/c"
	check cr-only-endings -F "$D/c" target
fi
if newcase lines-100k; then
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "Host h%d\n  Port %d\n", i, 1024 + i % 60000 }' \
	    </dev/null >"$D/c"
	check lines-100k -F "$D/c" h99999
fi
if newcase lines-100k-error-at-end; then
	{ awk 'BEGIN { for (i = 1; i < 100000; i++) print "# filler " i }' </dev/null
	  printf 'Port notaport\n'; } >"$D/c"
	check lines-100k-error-at-end -F "$D/c" target
fi
if newcase lines-100k-empty; then
	{ bytes 100000 '\n'; printf 'User bob\n'; } >"$D/c"
	check lines-100k-empty -F "$D/c" target
fi
if newcase sendenv-20k; then
	awk 'BEGIN { for (i = 0; i < 20000; i++) print "SendEnv VAR_" i }' </dev/null >"$D/c"
	check sendenv-20k -F "$D/c" target
fi
if newcase identityfiles-1000; then
	awk 'BEGIN { for (i = 0; i < 1000; i++) print "IdentityFile ~/.ssh/k" i }' </dev/null >"$D/c"
	check identityfiles-1000 -F "$D/c" target
fi
if newcase include-depth-40; then
	for i in $(seq 1 40); do
		printf 'Include %s/i%d\n' "$D" $((i + 1)) >"$D/i$i"
	done
	printf 'User deep\n' >"$D/i41"
	printf 'Include %s/i1\n' "$D" >"$D/c"
	check include-depth-40 -F "$D/c" target
fi
if newcase include-many-files; then
	mkdir "$D/d"
	for i in $(seq 1 2000); do printf 'SendEnv F%d\n' "$i" >"$D/d/f$i.conf"; done
	printf 'Include %s/d/*.conf\n' "$D" >"$D/c"
	check include-many-files -F "$D/c" target
fi
if newcase unterminated-quote-eof; then
	printf 'Port 22\nUser "bob' >"$D/c"
	check unterminated-quote-eof -F "$D/c" target
fi
if newcase match-exec-huge; then
	{ printf 'Match exec "test '; bytes 100000 x; printf ' = y"\n  User m\n'; } >"$D/c"
	check match-exec-huge -F "$D/c" target
fi
if newcase empty-file; then
	: >"$D/c"
	check empty-file -F "$D/c" target
fi
if newcase dev-null; then
	check dev-null -F /dev/null target
fi
if newcase bad-destination; then
	check bad-destination -F none 'bad;host'
fi
if newcase bad-jump; then
	check bad-jump -F none -J 'ssh://j/path' target
fi

[ ${#failed[@]} -gt 0 ] && echo "failed cases: ${failed[*]}"
[ $keep = 1 ] && echo "work directory: $W"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail = 0 ]
