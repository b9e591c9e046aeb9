#!/usr/bin/env bash
# Hostile-input tests of the transport (SECURITY.md, "Hostile server"):
#
#  1. kex_probe against hostile_server.py, one scripted scenario per run:
#     every case must end with exit 1 (not 0, not a signal, not our
#     time limit), one printable line of reason of at most 600 bytes
#     matching what the case expects, and no sanitizer report;
#  2. kex_probe against a real sshd through mitm_proxy.py: one flipped bit
#     in the first encrypted packets, for each cipher shape, must give
#     "message authentication code incorrect" or "bad packet length";
#     an IGNORE injected before the server's KEXINIT, or between it and the
#     reply, must be refused as a strict KEX violation; a flipped bit in the
#     server's KEXINIT cookie as an incorrect signature.
#
# Prints one line per failure and "N passed, M failed"; exits 1 on any
# failure.  Environment: top_srcdir, top_builddir (set by make check),
# HOSTILE_MITM_STEP (1: every offset after NEWKEYS; default 4 in the
# middle of the packets), HOSTILE_ONLY (a grep -E pattern: run only the
# hostile_server scenarios it matches, and no sshd part unless it matches
# "mitm"), HOSTILE_KEEP=1 (keep the work directory with every output).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
here=$top_srcdir/tests/transport
probe=$top_builddir/tests/transport/kex_probe
only=${HOSTILE_ONLY:-}
mitm_step=${HOSTILE_MITM_STEP:-4}
pass=0
fail=0

note() { printf '%s\n' "$*"; }
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); note "FAIL: $*"; }

if [ ! -x "$probe" ]; then
	note "FAIL: kex_probe not built ($probe)"; echo "0 passed, 1 failed"; exit 1
fi
# the interpreter itself, not a version manager's shim (it saves ~0.2 s
# per start, and there are a hundred starts)
python=$(${PYTHON3:-python3} -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -z "$python" ]; then
	note "FAIL: python3 not found"; echo "0 passed, 1 failed"; exit 1
fi
# A sanitizer report must not hide behind the probe's own exit 1.
export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="exitcode=86:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
asan=0
grep -qa __asan_init "$probe" && asan=1

work=$(mktemp -d "${TMPDIR:-/tmp}/sb-hostile.XXXXXX")
pids=()
cleanup() {
	local p
	# every server, proxy and worker, including those a worker started
	for p in "${pids[@]}" $(cat "$work/bgpids" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	[ "$(type -t sshd_stop)" = function ] && sshd_stop
	wait 2>/dev/null
	if [ -n "${HOSTILE_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" in the background with stdout in FILE and waits for the port
# it prints first; sets BG_PORT and BG_PID.
start_bg() {
	local file=$1 i
	shift
	"$@" > "$file" 2> "$file.err" &
	BG_PID=$!
	pids+=("$BG_PID")
	echo "$BG_PID" >> "$work/bgpids"
	for i in $(seq 200); do
		BG_PORT=$(head -n 1 "$file" 2>/dev/null)
		[ -n "$BG_PORT" ] && return 0
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.02
	done
	note "could not start: $* ($(cat "$file.err" 2>/dev/null))"
	return 1
}

stop_bg() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# Runs the probe with its output in $out.stdout and $out.stderr, under an
# outer time limit of LIMIT seconds; sets RC (124: the limit hit).  With
# RSSFILE non-empty, the maximum RSS in KiB goes there.
run_probe() {
	local out=$1 limit=$2 rssfile=$3
	shift 3
	if [ -n "$rssfile" ] && [ -x /usr/bin/time ]; then
		timeout -k 2 "$limit" /usr/bin/time -f '%M' -o "$rssfile" \
		    "$probe" "$@" > "$out.stdout" 2> "$out.stderr"
		RC=$?
	elif [ -n "$rssfile" ]; then
		# no GNU time: sample the probe's RSS with ps
		timeout -k 2 "$limit" "$probe" "$@" > "$out.stdout" 2> "$out.stderr" &
		local p=$! max=0 v
		while kill -0 "$p" 2>/dev/null; do
			v=$(ps -o rss= --ppid "$p" 2>/dev/null | sort -n | tail -n 1)
			v=${v// /}
			[ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
			sleep 0.02
		done
		wait "$p"
		RC=$?
		echo "$max" > "$rssfile"
	else
		timeout -k 2 "$limit" "$probe" "$@" > "$out.stdout" 2> "$out.stderr"
		RC=$?
	fi
}

# After run_probe: checks the outcome of case NAME.  Sets REASON.  Returns
# 0 when the probe failed cleanly with a reason matching EXPECT (grep -E)
# and not matching AVOID; otherwise prints why and returns 1.
check_failure() {
	local name=$1 out=$2 expect=$3 avoid=${4:-} len odd
	REASON=$(grep -a '^kex_probe: ' "$out.stderr" | tail -n 1)
	if grep -aqE 'ERROR: [A-Za-z]+Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' \
	    "$out.stderr"; then
		bad "$name: sanitizer report: $(grep -aE 'ERROR|runtime error' "$out.stderr" | head -n 2 | tr '\n' ' ')"
		return 1
	fi
	case $RC in
	0) bad "$name: the client succeeded"; return 1 ;;
	1) ;;
	124|137) bad "$name: hung (killed by the test's time limit)"; return 1 ;;
	86) bad "$name: sanitizer exit"; return 1 ;;
	*) if [ "$RC" -gt 128 ]; then
		bad "$name: killed by signal $((RC - 128)): $REASON"
	   else
		bad "$name: exit $RC: $REASON"
	   fi
	   return 1 ;;
	esac
	if [ -z "$REASON" ]; then
		bad "$name: no reason printed: $(head -c 300 "$out.stderr")"
		return 1
	fi
	# the reason is for a terminal: printable ASCII, one bounded line
	odd=$(LC_ALL=C tr -d '\040-\176\n' < "$out.stderr" | wc -c)
	if [ "$odd" -ne 0 ]; then
		bad "$name: $odd unprintable bytes in the client's output"
		return 1
	fi
	len=${#REASON}
	if [ "$len" -gt 600 ]; then
		bad "$name: reason of $len bytes"
		return 1
	fi
	if ! printf '%s\n' "$REASON" | grep -qE -- "$expect"; then
		bad "$name: expected /$expect/, got: $(printf '%s' "$REASON" | cut -c1-200)"
		return 1
	fi
	if [ -n "$avoid" ] && printf '%s\n' "$REASON" | grep -qE -- "$avoid"; then
		bad "$name: must not fail with /$avoid/: $REASON"
		return 1
	fi
	return 0
}

selected() {
	[ -z "$only" ] || printf '%s\n' "$1" | grep -qE -- "$only"
}

# One hostile_server scenario in a server of its own:
# hostile_one NAME EXPECT [AVOID [PROBE_TIMEOUT_MS]]
hostile_one() {
	local sc=$1 expect=$2 avoid=${3:-} tmo=${4:-5000} out=$work/$1
	start_bg "$out.server" "$python" "$here/hostile_server.py" "$sc" \
	    --count 1 --idle 20 --hold 15 || { bad "$sc: server did not start"; return 1; }
	run_probe "$out" $((tmo / 1000 + 10)) "" -t "$tmo" -f /dev/null \
	    127.0.0.1 "$BG_PORT"
	stop_bg "$BG_PID"
	check_failure "$sc" "$out" "$expect" "$avoid"
}

# hostile NAME EXPECT [AVOID] queues one scenario; run_hostile runs the
# queue against one server that serves them in turn (a Python start per
# case would cost more than the cases)
case_names=()
case_expect=()
case_avoid=()
hostile() {
	selected "$1" || return 0
	case_names+=("$1")
	case_expect+=("$2")
	case_avoid+=("${3:-}")
}
run_hostile() {
	local n=${#case_names[@]} i out=$work/cases names
	[ "$n" -gt 0 ] || return 0
	names=$(IFS=,; echo "${case_names[*]}")
	if ! start_bg "$out.server" "$python" "$here/hostile_server.py" \
	    "$names" --count "$n" --idle 20 --hold 15; then
		bad "hostile_server.py did not start"
		return
	fi
	for ((i = 0; i < n; i++)); do
		run_probe "$out" 15 "" -t 5000 -f /dev/null 127.0.0.1 "$BG_PORT"
		check_failure "${case_names[i]}" "$out" "${case_expect[i]}" \
		    "${case_avoid[i]}" && ok
	done
	stop_bg "$BG_PID"
	case_names=() case_expect=() case_avoid=()
}

# ----------------------------------------------------- the version exchange
hostile banner-1025        'too many banner lines'
hostile banner-1024        'server disconnected \(reason 11\): bye after 1024 lines'
hostile banner-long        'banner line from the server too long'
hostile banner-long-nonl   'banner line from the server too long'
# a line of exactly 8 KiB is allowed, whether or not its "\n" comes in the
# same read
hostile banner-8192-whole  'server disconnected \(reason 11\): bye after a long banner'
hostile banner-8192-split  'server disconnected \(reason 11\): bye after a long banner'
hostile version-10mb       'too long'
hostile version-long       'longer than 255'
hostile banner-nul         'NUL byte'
hostile banner-nul-then-silence 'NUL byte'
hostile version-nul        'NUL byte'
hostile version-ssh1       'protocol major versions differ'
hostile version-escapes    'protocol major versions differ'
hostile eof-before-version 'connection closed by the server before its version line'
# version then silence: the probe's own time limit, and no later than that
if selected version-silence; then
	s=$(date +%s%N)
	hostile_one version-silence 'timed out' '' 2000 && ok
	e=$((($(date +%s%N) - s) / 1000000))
	if [ "$e" -gt 6000 ]; then bad "version-silence: took $e ms for a 2000 ms limit"; else ok; fi
fi

# ------------------------------------------------------------ packet framing
hostile len-0          'bad packet length 0$'
hostile len-4          'bad packet length 4$'
hostile len-256k1      'bad packet length 262145$'
hostile len-ffffffff   'bad packet length 4294967295$'
hostile len-unaligned  'bad packet length 13$'
hostile len-max-ok     'incorrect signature'      # 256 KiB itself is fine
hostile pad-3          'bad padding length 3 '
hostile pad-eq-len     'bad padding length'
hostile pad-gt-len     'bad padding length 255 '
hostile empty-payload  'empty packet'
hostile eof-mid-packet 'connection closed by the server$'

# ------------------------------------------------- KEXINIT and negotiation
# the payload truncated at every offset, in a well-formed packet; then the
# stream itself cut at every offset of the KEXINIT packet
if selected kexinit-trunc; then
	n=$("$python" "$here/hostile_server.py" --cases kexinit-trunc)
	out=$work/trunc
	if start_bg "$out.server" "$python" "$here/hostile_server.py" \
	    kexinit-trunc --count "$n" --idle 20 --hold 15; then
		for k in $(seq 0 $((n - 1))); do
			expect='malformed KEXINIT from the server'
			[ "$k" -eq 0 ] && expect='empty packet'
			run_probe "$out" 15 "" -t 5000 -f /dev/null 127.0.0.1 "$BG_PORT"
			check_failure "kexinit-trunc at $k of $n" "$out" "$expect" && ok
		done
		stop_bg "$BG_PID"
	else
		bad "kexinit-trunc: server did not start"
	fi
fi
if selected kexinit-cut; then
	n=$("$python" "$here/hostile_server.py" --cases kexinit-cut)
	out=$work/cut
	if start_bg "$out.server" "$python" "$here/hostile_server.py" \
	    kexinit-cut --count "$n" --idle 20 --hold 15; then
		# every offset of the header and message type, then a sample
		# (the server's connection k is cut at k: skipped ones connect
		# and close at once)
		for k in $(seq 0 $((n - 1))); do
			if [ "$k" -ge 16 ] && [ $((k % 8)) -ne 0 ] && [ "$k" -lt $((n - 2)) ]; then
				(exec 3<>"/dev/tcp/127.0.0.1/$BG_PORT") 2>/dev/null
				continue
			fi
			run_probe "$out" 15 "" -t 5000 -f /dev/null 127.0.0.1 "$BG_PORT"
			check_failure "kexinit-cut at $k of $n" "$out" \
			    'connection closed by the server$' && ok
		done
		stop_bg "$BG_PID"
	else
		bad "kexinit-cut: server did not start"
	fi
fi
hostile namelist-past-packet      'malformed KEXINIT'
hostile namelist-ffffffff         'malformed KEXINIT'
hostile namelist-last-past-packet 'malformed KEXINIT'
hostile namelist-nul              'malformed KEXINIT'
hostile namelist-huge-ok          'incorrect signature'
hostile nomatch-kex         'no matching key exchange method'
hostile nomatch-kex-markers 'no matching key exchange method'
hostile nomatch-hostkey     'no matching host key type'
hostile nomatch-cipher      'no matching cipher'
hostile nomatch-cipher-stoc 'no matching cipher'
hostile nomatch-mac         'no matching MAC'
hostile nomatch-mac-stoc    'no matching MAC'
hostile nomatch-comp        'no matching compression method'
hostile kexinit-follows     'guess'
hostile kexinit-twice       'unexpected KEXINIT'

# ------------------------------------------------ strict key exchange
for kind in ignore debug unimpl; do
	hostile "strict-$kind-before-kexinit" 'strict KEX violation'
	hostile "strict-$kind-before-reply"   'strict KEX violation'
	# without the marker the same message is allowed: the client gets as
	# far as the signature
	hostile "nostrict-$kind-before-kexinit" 'incorrect signature' 'strict'
	hostile "nostrict-$kind-before-reply"   'incorrect signature' 'strict'
done
hostile strict-ok 'incorrect signature' 'strict'

# ------------------------------------------------- the curve25519 reply
hostile reply-pub-31          'bad server public value'
hostile reply-pub-33          'bad server public value'
hostile reply-pub-zero        'bad server public value'
hostile reply-pub-order4      'bad server public value'
hostile reply-bad-sig         'incorrect signature'
hostile reply-sig-alg         'incorrect signature'
hostile reply-sig-short       'incorrect signature'
hostile reply-hostkey-garbage 'bad server host key'
hostile reply-hostkey-rsa     'not of the negotiated type'
hostile reply-trailing        'malformed key exchange reply'
hostile reply-truncated       'malformed key exchange reply'
hostile reply-before-kexinit  'unexpected key exchange message 31'
hostile newkeys-early         'unexpected key exchange message 21'

# ------------------------------- the other methods' replies and groups
hostile dh14-f-one          'bad server public value'
hostile dh14-f-pminus1      'bad server public value'
hostile dh14-f-p            'bad server public value'
hostile dh14-bad-sig        'incorrect signature'
hostile gex-group-1024      'unacceptable DH group'
hostile gex-group-9000      'unacceptable DH group'
hostile gex-group-even      'unacceptable DH group'
hostile gex-group-g1        'unacceptable DH group'
hostile gex-group-gpminus1  'unacceptable DH group'
hostile gex-group-trailing  'malformed DH group exchange group'
hostile gex-bad-sig         'incorrect signature'
hostile gex-reply-as-group  'unexpected key exchange message 31'
hostile ecdh-pub-offcurve   'bad server public value'
hostile ecdh-pub-compressed 'bad server public value'
hostile ecdh-pub-empty      'bad server public value'

# ---------------------------------------------- messages out of phase
hostile service-accept-early           'unexpected message 6 '
hostile service-accept-after-kexinit   'unexpected message 6 '
hostile userauth-success-early         'unexpected message 52 '
hostile userauth-success-after-kexinit 'unexpected message 52 '
hostile ext-info-early                 'unexpected message 7 '
hostile channel-data-early             'unexpected message 94 '
hostile kex-msg-40-early               'unexpected key exchange message 40'
hostile msg-255-early                  'unexpected message 255 '

# ------------------------------------------------------------ DISCONNECT
# (check_failure bounds every reason to 600 printable bytes)
hostile disconnect-1mib          'bad packet length'
hostile disconnect-escapes       '^kex_probe: server disconnected \(reason 2\): \?\[2J'
hostile disconnect-lying-length  'server disconnected \(reason 2\): \(malformed\)'

run_hostile

# ---------------------------------------------------------------- floods
flood() {
	local sc=$1 limit_kb=$((64 * 1024)) out=$work/$1 rss
	selected "$sc" || return 0
	start_bg "$out.server" "$python" "$here/hostile_server.py" "$sc" \
	    --count 1 --idle 20 --hold 30 || { bad "$sc: server did not start"; return; }
	run_probe "$out" 60 "$out.rss" -t 45000 -f /dev/null 127.0.0.1 "$BG_PORT"
	stop_bg "$BG_PID"
	# the whole flood went through: the client reached the signature
	check_failure "$sc" "$out" 'incorrect signature' 'strict' && ok
	rss=$(tail -n 1 "$out.rss" 2>/dev/null)
	if [ -z "$rss" ] || [ "$rss" -eq 0 ]; then
		bad "$sc: could not measure the client's memory"
	elif [ "$rss" -ge "$limit_kb" ]; then
		bad "$sc: the client grew to $((rss / 1024)) MiB (limit 64 MiB)"
	else
		ok
	fi
}
flood ignore-flood
flood debug-flood

# ------------------------------------------ a real sshd through a MITM proxy
mitm_fail=0
if selected mitm; then
	# shellcheck source=lib-sshd.sh
	. "$here/lib-sshd.sh"
	# shellcheck disable=SC2034  # read by sshd_start
	SSHD_EXTRA_CONFIG="LoginGraceTime 30"
	if ! sshd_start "$work/sshd" ed25519 2> "$work/sshd.err"; then
		bad "mitm: $(cat "$work/sshd.err")"
		mitm_fail=1
	fi
fi

# mitm_probe OUT PORT CIPHER MAC: one probe run through the proxy
mitm_probe() {
	local out=$1 port=$2 cipher=$3 mac=$4
	run_probe "$out" 20 "" -t 8000 -k curve25519-sha256 -H ssh-ed25519 \
	    -c "$cipher" -m "$mac" -f "$SSHD_KNOWN_HOSTS" \
	    -n "[127.0.0.1]:$SSHD_PORT" 127.0.0.1 "$port"
}

# mitm_worker ID CIPHER MAC TAGLEN OFFSET...: runs one proxy and one probe
# per offset, writing PASS/FAIL lines to $work/mitm-ID.result
mitm_worker() {
	local id=$1 cipher=$2 mac=$3 taglen=$4 o plans="" i=0 line
	shift 4
	local res=$work/mitm-$id.result out=$work/mitm-$id
	: > "$res"
	for o in "$@"; do plans+="flip:$o:$((o % 8)),"; done
	if ! start_bg "$out.proxy" "$python" "$here/mitm_proxy.py" \
	    --target-port "$SSHD_PORT" --plan "${plans%,}" --tag-len "$taglen" \
	    --count $# --idle 30; then
		echo "FAIL: mitm $cipher $mac: proxy did not start" >> "$res"
		return
	fi
	local proxy=$BG_PID port=$BG_PORT
	trap 'kill $proxy 2>/dev/null' EXIT
	for o in "$@"; do
		mitm_probe "$out" "$port" "$cipher" "$mac"
		# the proxy logs the connection when it ends
		for _w in $(seq 100); do
			line=$(grep "^conn $i " "$out.proxy")
			[ -n "$line" ] && break
			sleep 0.02
		done
		local name="mitm $cipher $mac bit $((o % 8)) of byte $o after NEWKEYS"
		if ! printf '%s' "$line" | grep -q 'flipped=yes'; then
			echo "FAIL: $name: not flipped (proxy: $line; client: $(tail -n 1 "$out.stderr"))" >> "$res"
		elif ( check_failure "$name" "$out" \
		    '^kex_probe: (message authentication code incorrect|bad packet length)' \
		    ) > "$out.check"; then
			echo PASS >> "$res"
		else
			cat "$out.check" >> "$res"
		fi
		i=$((i + 1))
	done
	kill "$proxy" 2>/dev/null
	wait "$proxy" 2>/dev/null
}

if selected mitm && [ $mitm_fail -eq 0 ]; then
	# cipher, MAC, and the bytes after the length a reader of the clear
	# length must add (tag or MAC; 0 where the length is encrypted)
	configs="chacha20-poly1305@openssh.com hmac-sha2-256 0
aes128-gcm@openssh.com hmac-sha2-256 16
aes256-gcm@openssh.com hmac-sha2-256 16
aes128-ctr hmac-sha2-256 0
aes128-ctr hmac-sha2-256-etm@openssh.com 32"
	# control runs through the proxy, unchanged: they must succeed, and
	# tell how many server bytes follow NEWKEYS before the client is done
	# (EXT_INFO and SERVICE_ACCEPT: each of them is needed)
	out=$work/calib
	ncfg=$(printf '%s\n' "$configs" | wc -l)
	if start_bg "$out.proxy" "$python" "$here/mitm_proxy.py" \
	    --target-port "$SSHD_PORT" --plan pass --count "$ncfg" --idle 30; then
		calib_port=$BG_PORT calib_pid=$BG_PID
		i=0
		declare -A after
		while read -r c m tl; do
			mitm_probe "$out" "$calib_port" "$c" "$m"
			for _w in $(seq 100); do
				line=$(grep "^conn $i " "$out.proxy")
				[ -n "$line" ] && break
				sleep 0.02
			done
			i=$((i + 1))
			if [ "$RC" -ne 0 ] || ! grep -q "^cipher $c $c\$" "$out.stdout"; then
				bad "mitm $c $m: no connection through the unchanged proxy: $(tail -n 1 "$out.stderr")"
				continue
			fi
			ok
			n=$(printf '%s' "$line" | sed -n 's/.* after=\([0-9]*\) .*/\1/p')
			if [ -z "$n" ] || [ "$n" -lt 64 ]; then
				bad "mitm $c $m: only ${n:-?} bytes after NEWKEYS ($line)"
				continue
			fi
			after["$c $m"]=$n
		done <<< "$configs"
		stop_bg "$calib_pid"

		# offsets: all of the first and last 40 bytes (lengths, padding,
		# message types, the tags), every $mitm_step-th in between; two
		# workers, each its own proxy
		wpids=()
		w=0
		while read -r c m tl; do
			n=${after["$c $m"]:-}
			[ -n "$n" ] || continue
			offs=()
			for ((o = 0; o < n; o++)); do
				if [ $o -lt 40 ] || [ $o -ge $((n - 40)) ] ||
				    [ $((o % mitm_step)) -eq 0 ]; then
					offs+=("$o")
				fi
			done
			half=$(( ${#offs[@]} / 2 ))
			mitm_worker "$w" "$c" "$m" "$tl" "${offs[@]:0:$half}" &
			wpids+=($!); pids+=($!)
			mitm_worker "$((w + 1))" "$c" "$m" "$tl" "${offs[@]:$half}" &
			wpids+=($!); pids+=($!)
			w=$((w + 2))
			wait "${wpids[@]}"
			wpids=()
		done <<< "$configs"
		for f in "$work"/mitm-*.result; do
			[ -f "$f" ] || continue
			while read -r line; do
				case $line in
				PASS) ok ;;
				*) fail=$((fail + 1)); note "$line" ;;
				esac
			done < "$f"
		done
	else
		bad "mitm: calibration proxy did not start"
	fi

	# Terrapin: an IGNORE injected into the server's plaintext stream
	# (before its KEXINIT, between it and the reply, between the reply
	# and NEWKEYS) shifts the sequence numbers; strict kex must refuse
	# it.  A flipped bit in the server's KEXINIT must break the signature
	# over the exchange hash.
	out=$work/terrapin
	if start_bg "$out.proxy" "$python" "$here/mitm_proxy.py" \
	    --target-port "$SSHD_PORT" \
	    --plan pass,ignore:0,ignore:1,ignore:2,cookie:0,cookie:7 \
	    --count 6 --idle 30; then
		tport=$BG_PORT tpid=$BG_PID
		mitm_probe "$out" "$tport" chacha20-poly1305@openssh.com hmac-sha2-256
		if [ "$RC" -eq 0 ] && grep -q '^strict 1$' "$out.stdout"; then ok; else
			bad "terrapin control: strict kex not in force through the proxy: $(tail -n 1 "$out.stderr")"
		fi
		for k in 0 1 2; do
			mitm_probe "$out" "$tport" chacha20-poly1305@openssh.com hmac-sha2-256
			check_failure "terrapin: IGNORE after the server's packet $k" \
			    "$out" 'strict KEX violation' && ok
		done
		for b in 0 7; do
			mitm_probe "$out" "$tport" chacha20-poly1305@openssh.com hmac-sha2-256
			check_failure "KEXINIT cookie bit $b flipped" "$out" 'incorrect signature' && ok
		done
		sleep 0.2
		n=$(grep -c 'inserted=yes' "$out.proxy")
		if [ "$n" -eq 3 ]; then ok; else bad "terrapin: the proxy inserted $n IGNOREs, not 3"; fi
		stop_bg "$tpid"
	else
		bad "terrapin: proxy did not start"
	fi

	# the real server's key marked @revoked is refused, naming the line
	kh=$work/revoked.known_hosts
	{
		echo "# line 1"
		echo "@revoked [127.0.0.1]:$SSHD_PORT $(cut -d' ' -f2,3 "$SSHD_KNOWN_HOSTS" | head -n 1)"
		cat "$SSHD_KNOWN_HOSTS"
	} > "$kh"
	run_probe "$work/revoked" 20 "" -t 8000 -H ssh-ed25519 -f "$kh" \
	    -n "[127.0.0.1]:$SSHD_PORT" 127.0.0.1 "$SSHD_PORT"
	check_failure "@revoked host key" "$work/revoked" "revoked.*$kh:2" && ok
fi

[ $asan -eq 1 ] && note "(the probe runs under AddressSanitizer)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
