#!/bin/sh
# Installs every Debian 12 package that building, testing and CI need.
# The one list: the README's commands and .ci/run all come through here.
set -eu

PACKAGES="
build-essential autoconf automake libtool pkg-config
libssl-dev libsodium-dev libpcre2-dev libyaml-dev check
openssh-client openssh-server dropbear-bin netcat-openbsd socat python3
rsync time
clang llvm libclang-rt-14-dev valgrind
git ca-certificates
"

if [ "$(id -u)" -ne 0 ]; then
	# A fresh machine may be used as root without sudo, or as a user with it.
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "install-deps.sh: needs root (and sudo is not installed)" >&2
	exit 1
fi
if ! grep -q '^VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
	# The names above are Debian 12's (libclang-rt-14-dev above all).
	echo "install-deps.sh: warning: written for Debian 12 (bookworm)" >&2
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086  # word splitting of the list is intended
apt-get install -y --no-install-recommends $PACKAGES
