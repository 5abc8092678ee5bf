#!/usr/bin/env bash
# Start a throwaway single-node Ceph (one monitor, one in-memory OSD, auth off) and a radosgw
# on 127.0.0.1, for the tests that need an S3 which enforces presigned-POST policies
# (tests/storage/test_radosgw.py; moto does not enforce them).
#
#   eval "$(scripts/radosgw-up.sh)"      # installs Debian's ceph packages if missing
#   .venv/bin/python -m pytest tests/storage/test_radosgw.py -q
#   scripts/radosgw-down.sh
#
# Only the environment for the tests goes to stdout; progress goes to stderr.
# Settings: RGW_PORT (7480), MON_PORT (a free one), RGW_ACCESS_KEY, RGW_SECRET_KEY.
set -euo pipefail

PORT=${RGW_PORT:-7480}
AK=${RGW_ACCESS_KEY:-RGWAK}
SK=${RGW_SECRET_KEY:-RGWSECRETKEY}
POINTER=/tmp/symbols-radosgw-$PORT.dir  # where radosgw-down.sh finds the cluster's folder

say() { echo "radosgw-up: $*" >&2; }
die() { say "$*"; exit 1; }
answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"; }
print_env() {
    echo "export SYMBOLS_TEST_RADOSGW_URL=http://127.0.0.1:$PORT"
    echo "export SYMBOLS_TEST_RADOSGW_ACCESS_KEY=$AK"
    echo "export SYMBOLS_TEST_RADOSGW_SECRET_KEY=$SK"
}
# Poll CMD (a string, run by bash) until it succeeds, for at most 120 s.
wait_for() {
    local what=$1 cmd=$2 tries=600
    until bash -c "$cmd" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || die "$what did not come up; logs in $D/log"
        sleep 0.2
    done
}

if [ -f "$POINTER" ] && answers "$PORT"; then
    say "already running from $(cat "$POINTER")"
    print_env
    exit 0
fi
answers "$PORT" && die "something else answers on 127.0.0.1:$PORT; set RGW_PORT"

missing=()
for tool in radosgw ceph-mon ceph-osd; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    say "installing radosgw ceph-mon ceph-osd (missing: ${missing[*]})"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        radosgw ceph-mon ceph-osd >&2
fi

MON_PORT=${MON_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
D=$(mktemp -d "${TMPDIR:-/tmp}/symbols-radosgw.XXXXXX")
mkdir -p "$D"/{mon-a,run,log,rgw}
echo "$D" > "$POINTER"
FSID=$(python3 -c 'import uuid; print(uuid.uuid4())')
# memstore keeps the OSD in memory (1 GiB at most); size-1 pools since there is one OSD.
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
ms client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush chooseleaf type = 0
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
osd data = $D/osd\$id
mon data = $D/mon-\$id
keyring = $D/keyring
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $D/rgw
CONF
C=(-c "$D/ceph.conf")

say "monitor on 127.0.0.1:$MON_PORT, folder $D"
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring" >&2
ceph-mon "${C[@]}" -i a >&2
OSD=$(ceph "${C[@]}" osd create)
mkdir -p "$D/osd$OSD"
ceph-osd "${C[@]}" -i "$OSD" --mkfs >"$D/log/osd-mkfs.out" 2>&1
ceph-osd "${C[@]}" -i "$OSD" >"$D/log/osd-start.out" 2>&1
wait_for "the OSD" "ceph -c '$D/ceph.conf' osd stat | grep -q '1 up'"
say "OSD up; starting radosgw on 127.0.0.1:$PORT"
radosgw "${C[@]}" -n client.rgw >&2
wait_for "radosgw" "curl -s -o /dev/null --max-time 2 http://127.0.0.1:$PORT/"
# No admin socket: the running radosgw holds client.rgw's.
radosgw-admin "${C[@]}" -n client.rgw --admin-socket '' user create --uid=test --display-name=test \
    --access-key="$AK" --secret-key="$SK" >/dev/null
say "ready: http://127.0.0.1:$PORT (pids $(cat "$D"/run/*.pid | tr '\n' ' '))"
print_env
