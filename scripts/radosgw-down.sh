#!/usr/bin/env bash
# Stop the radosgw (and its monitor and OSD) that scripts/radosgw-up.sh started on RGW_PORT
# (7480), then delete its folder.
set -euo pipefail

PORT=${RGW_PORT:-7480}
POINTER=/tmp/symbols-radosgw-$PORT.dir

[ -f "$POINTER" ] || { echo "radosgw-down: nothing started on port $PORT" >&2; exit 0; }
D=$(cat "$POINTER")
pids=()
for pidfile in "$D"/run/*.pid; do
    [ -f "$pidfile" ] && pids+=("$(cat "$pidfile")")
done
if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 100); do  # up to 20 s for them to exit
        kill -0 "${pids[@]}" 2>/dev/null || break
        sleep 0.2
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
fi
rm -rf "$D" "$POINTER"
echo "radosgw-down: stopped ${pids[*]:-nothing}, removed $D" >&2
