#!/usr/bin/env bash
# Builds and tests sshbroker as CI does, stopping at the first failure:
#   1. build/        gcc, --enable-werror: make, make check
#   2. build-asan/   clang, AddressSanitizer + UBSan: make check
#   3. build-fuzz/   clang + libFuzzer: make fuzz-smoke (once tests/fuzz has it)
#   4. build/        make distcheck (the release tarball builds and passes)
# Every build is out of the source tree: automake refuses a second,
# out-of-tree configure of a tree that is configured in place.
# JOBS sets make's parallelism (default 2).
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
jobs=${JOBS:-2}
# Bounds for the fuzz step, which must not eat CI's budget.
fuzz_limit=${FUZZ_LIMIT:-20m}

step() {
	printf '\n==> %s  [%s]\n' "$*" "$(date +%H:%M:%S)"
}

fail() {
	printf '\nrun-tests.sh: FAILED: %s\n' "$*" >&2
	exit 1
}

# Prints the logs automake's test driver wrote under $1 (the summary and
# the log of every test that did not pass) before failing.
fail_with_logs() {
	local dir=$1 what=$2 log

	while IFS= read -r log; do
		printf '\n----- %s -----\n' "${log#"$top"/}"
		cat "$log"
	done < <(find "$dir" -name test-suite.log 2>/dev/null)
	fail "$what"
}

# configure_in DIR ARGS...: a fresh build directory configured with ARGS.
configure_in() {
	local dir=$1

	shift
	rm -rf "$dir"
	mkdir "$dir"
	(cd "$dir" && "$top/configure" "$@") ||
		fail "configure $* (see $dir/config.log)"
}

if [ -f config.status ]; then
	# The README's first command configures in place; clear that so the
	# out-of-tree builds below are allowed.
	step "source tree configured in place: make distclean"
	make distclean >/dev/null || fail "make distclean in $top"
fi

step "autogen"
./autogen.sh || fail "autogen.sh"

step "build/: configure --enable-werror, make, make check"
configure_in build --enable-werror
make -C build -j"$jobs" || fail "make in build/"
make -C build -j"$jobs" check || fail_with_logs build "make check in build/"

step "build-asan/: clang with --enable-sanitizers, make check"
configure_in build-asan --enable-werror --enable-sanitizers CC=clang
# ASan's defaults already include leak checking; UBSan halts by
# -fno-sanitize-recover, and a stack trace says where.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
make -C build-asan -j"$jobs" check ||
	fail_with_logs build-asan "make check in build-asan/"

if grep -q 'fuzz-smoke' Makefile.am; then
	step "build-fuzz/: clang with --enable-fuzzing, make fuzz-smoke (at most $fuzz_limit)"
	configure_in build-fuzz --enable-werror --enable-fuzzing \
	    --enable-sanitizers CC=clang
	timeout "$fuzz_limit" make -C build-fuzz -j"$jobs" fuzz-smoke ||
		fail "make fuzz-smoke in build-fuzz/ (exit $?; 124 is the time limit)"
else
	step "no fuzz-smoke target in Makefile.am yet: fuzz step skipped"
fi

step "build/: make distcheck"
make -C build -j"$jobs" distcheck \
    DISTCHECK_CONFIGURE_FLAGS=--enable-werror ||
	fail_with_logs build "make distcheck in build/"

step "all passed"
