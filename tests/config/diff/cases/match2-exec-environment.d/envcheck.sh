# exit 0 iff the environment is exactly what the test runner passes
env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' -e '^OLDPWD=' | LC_ALL=C sort > env.now
cat > env.want <<'EOT'
HOME=@HOME@
PATH=/usr/bin:/bin
SB_DOLLAR=a${SB_USER}b
SB_EMPTY=
SB_HOST=envhost
SB_PCT=50%h
SB_PORT=2200
SB_SOCK=/run/sb/agent.sock
SB_SPACE=a b
SB_TEST_DIR=/tmp/x
SB_USER=alice
SHELL=/bin/sh
EOT
sed -i "s|@HOME@|$HOME|" env.want
cmp -s env.now env.want
