# Starts a throwaway OpenSSH sshd on 127.0.0.1 for the transport's tests.
# Source it from bash, then:
#
#   sshd_start DIR [TYPES]   host keys of TYPES (default: all five below),
#                            config, known_hosts and log under DIR; sets
#                            SSHD_PORT, SSHD_PID, SSHD_KNOWN_HOSTS (lines
#                            for "[127.0.0.1]:PORT") and SSHD_LOG.  Extra
#                            sshd_config lines may be set beforehand in
#                            SSHD_EXTRA_CONFIG (one per line).  Returns 1
#                            (and prints why) when sshd did not come up.
#   sshd_stop                kills it (also safe when it never started).
#   sshd_login_user USER KEY an ordinary user to log in as, with KEY
#                            (made when missing) as its one key.
#   sshd_client_opts USER KEY KNOWN_HOSTS
#                            the ssh_config lines that reach this sshd
#                            as USER with KEY alone.
#
# The caller's EXIT trap should call sshd_stop.  Needs sshd, ssh-keygen,
# python3 (to find a free port).

SSHD_ALL_KEY_TYPES="ed25519|ecdsa -b 256|ecdsa -b 384|ecdsa -b 521|rsa -b 3072"
SSHD_PID=
SSHD_PORT=
SSHD_KNOWN_HOSTS=
SSHD_LOG=

sshd_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

sshd_wait_port() {
	local port=$1 _i
	for _i in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

sshd_start() {
	local dir=$1 types=${2:-$SSHD_ALL_KEY_TYPES} t f bin cfg
	local IFS_save=$IFS
	bin=$(command -v sshd || echo /usr/sbin/sshd)
	if [ ! -x "$bin" ]; then
		echo "sshd is not installed" >&2
		return 1
	fi
	mkdir -p "$dir" || return 1
	IFS='|'
	for t in $types; do
		IFS=$IFS_save
		f=$dir/host_$(echo "$t" | tr -d ' -')
		if [ ! -f "$f" ]; then
			# shellcheck disable=SC2086
			ssh-keygen -q -N '' -t $t -f "$f" </dev/null ||
			    { echo "ssh-keygen -t $t failed" >&2; return 1; }
		fi
		IFS='|'
	done
	IFS=$IFS_save
	SSHD_PORT=$(sshd_free_port)
	cfg=$dir/sshd_config
	{
		echo "Port $SSHD_PORT"
		echo "ListenAddress 127.0.0.1"
		for f in "$dir"/host_*; do
			case $f in *.pub) ;; *) echo "HostKey $f" ;; esac
		done
		echo "PidFile $dir/sshd.pid"
		echo "UsePAM no"
		echo "StrictModes no"
		echo "LogLevel ERROR"
		# many short connections from one address are the point here
		echo "MaxStartups 100:30:200"
		[ -n "${SSHD_EXTRA_CONFIG:-}" ] && printf '%s\n' "$SSHD_EXTRA_CONFIG"
	} > "$cfg"
	# OpenSSH 9.8+ would penalise the source address of clients that never
	# authenticate, which is every one of ours
	if "$bin" -t -f "$cfg" -o PerSourcePenalties=no >/dev/null 2>&1; then
		echo "PerSourcePenalties no" >> "$cfg"
	fi
	SSHD_KNOWN_HOSTS=$dir/known_hosts
	for f in "$dir"/host_*.pub; do
		echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$f")"
	done > "$SSHD_KNOWN_HOSTS"
	SSHD_LOG=$dir/sshd.log
	mkdir -p /run/sshd 2>/dev/null
	"$bin" -D -e -f "$cfg" 2>"$SSHD_LOG" &
	SSHD_PID=$!
	if ! sshd_wait_port "$SSHD_PORT"; then
		echo "sshd did not start:" >&2
		cat "$SSHD_LOG" >&2
		sshd_stop
		return 1
	fi
	return 0
}

sshd_stop() {
	if [ -n "${SSHD_PID:-}" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	fi
}

# sshd_login_user USER KEY: USER (made when missing) as an ordinary login
# with shell /bin/sh, whose authorized_keys holds KEY.pub alone; KEY (an
# ed25519 key without passphrase) is made when it does not exist.  "*"
# refuses passwords without locking the account: a locked one ("!") may
# not log in at all without PAM.  Sets SSHD_USER_HOME.
sshd_login_user() {
	local user=$1 key=$2
	id "$user" >/dev/null 2>&1 || useradd -m -s /bin/sh "$user"
	usermod -p '*' "$user"
	SSHD_USER_HOME=$(getent passwd "$user" | cut -d: -f6)
	[ -f "$key" ] || ssh-keygen -q -t ed25519 -N '' -f "$key" </dev/null
	mkdir -p "$SSHD_USER_HOME/.ssh"
	cp "$key.pub" "$SSHD_USER_HOME/.ssh/authorized_keys"
	chown -R "$user" "$SSHD_USER_HOME/.ssh"
	chmod 700 "$SSHD_USER_HOME/.ssh"
	chmod 600 "$SSHD_USER_HOME/.ssh/authorized_keys"
}

# sshd_client_opts USER KEY KNOWN_HOSTS: the ssh_config lines (indented,
# for under a Host line) that log in to the sshd started here as USER
# with KEY and nothing else: no agent, host keys from KNOWN_HOSTS alone,
# no questions.
sshd_client_opts() {
	cat <<CFG
  HostName 127.0.0.1
  Port $SSHD_PORT
  User $1
  IdentityFile $2
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $3
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
CFG
}
