#!/usr/bin/env bash
# secantus.sh — run a throwaway, in-memory SecantusDB (MongoDB-wire test server) for tests.
#
#   source start-secantus.sh        # exports SECANTUS_PORT, SECANTUS_PID, MONGODB_URI;
#                                   # prints the port; stops the server on shell EXIT
#   start-secantus.sh cargo test    # runs the command with those vars, stops server, keeps its exit code
#   start-secantus.sh               # prints the port and keeps the server up until Ctrl-C
#
# Env knobs: SECANTUS_VENV (venv dir, default: <this dir>/.secantus-venv),
#            SECANTUS_STOP_GRACE (s to wait after SIGTERM before SIGKILL, default 3),
#            SECANTUS_READY_TIMEOUT (seconds, default 60), PYTHON (default python3).
# Sourcing sets `trap ... EXIT` (replacing any earlier EXIT trap); if the caller needs its own
# EXIT trap, call `secantus_stop` from it.

_SECANTUS_PKGS="SecantusDB==0.7.0b3 pymongo==4.20.0"
_SECANTUS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SECANTUS_VENV="${SECANTUS_VENV:-$_SECANTUS_DIR/.secantus-venv}"

_secantus_ensure_venv() {
  local stamp="$SECANTUS_VENV/.secantus-stamp"
  # Fast path: no python start-up, just a file comparison.
  if [[ -x "$SECANTUS_VENV/bin/secantusd-py" && -f "$stamp" && "$(cat "$stamp")" == "$_SECANTUS_PKGS" ]]; then
    return 0
  fi
  mkdir -p "$(dirname "$SECANTUS_VENV")" || return 1
  (
    # Serialise concurrent first-time installs (flock is in util-linux; skipped if absent).
    if command -v flock >/dev/null; then exec 9>"$SECANTUS_VENV.lock" && flock 9; fi
    if [[ -x "$SECANTUS_VENV/bin/secantusd-py" && -f "$stamp" && "$(cat "$stamp")" == "$_SECANTUS_PKGS" ]]; then
      exit 0
    fi
    echo "secantus: installing $_SECANTUS_PKGS into $SECANTUS_VENV" >&2
    "${PYTHON:-python3}" -m venv "$SECANTUS_VENV" &&
      "$SECANTUS_VENV/bin/pip" install -q --disable-pip-version-check $_SECANTUS_PKGS >&2 &&
      echo "$_SECANTUS_PKGS" >"$stamp"
  )
}

secantus_stop() {   # safe under `set -e`; idempotent
  if [[ -n "${_SECANTUS_WATCHDOG:-}" ]]; then kill "$_SECANTUS_WATCHDOG" 2>/dev/null || true; fi
  if [[ -n "${SECANTUS_PID:-}" ]] && kill -0 "$SECANTUS_PID" 2>/dev/null; then
    # Graceful SIGTERM takes ~2 s; the data is throwaway, so SECANTUS_STOP_GRACE=0 is fine too.
    kill -TERM "$SECANTUS_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < ${SECANTUS_STOP_GRACE:-3} * 10; i++)); do
      kill -0 "$SECANTUS_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SECANTUS_PID" 2>/dev/null || true
    wait "$SECANTUS_PID" 2>/dev/null || true
  fi
  if [[ -n "${_SECANTUS_TMP:-}" ]]; then rm -rf "$_SECANTUS_TMP"; fi
  SECANTUS_PID='' _SECANTUS_WATCHDOG='' _SECANTUS_TMP=''
}

_secantus_start() {
  _secantus_ensure_venv || { echo "secantus: venv setup failed" >&2; return 1; }
  _SECANTUS_TMP="$(mktemp -d "${TMPDIR:-/tmp}/secantus.XXXXXX")" || return 1
  trap secantus_stop EXIT
  trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
  # --port 0: the kernel picks a free port (no race); the server logs the real one.
  "$SECANTUS_VENV/bin/secantusd-py" --host 127.0.0.1 --port 0 \
    --storage-path :memory: --log-level INFO 2>"$_SECANTUS_TMP/log" >&2 &
  SECANTUS_PID=$!
  # Watchdog: stop the server if this shell dies without running its EXIT trap (e.g. SIGKILL).
  ( while kill -0 $$ 2>/dev/null && kill -0 "$SECANTUS_PID" 2>/dev/null; do sleep 2; done
    kill -TERM "$SECANTUS_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$SECANTUS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SECANTUS_PID" 2>/dev/null; rm -rf "$_SECANTUS_TMP" ) </dev/null >/dev/null 2>&1 &
  _SECANTUS_WATCHDOG=$!
  # Poll: wait for the "listening on" log line, then for a successful ping.
  SECANTUS_PORT="$("$SECANTUS_VENV/bin/python" - "$_SECANTUS_TMP/log" "$SECANTUS_PID" \
      "${SECANTUS_READY_TIMEOUT:-60}" <<'PY'
import os, re, sys, time
log, pid, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
from pymongo import MongoClient
deadline = time.monotonic() + timeout
def alive():
    try: os.kill(pid, 0); return True
    except OSError: return False
port = None
while time.monotonic() < deadline and alive():
    if port is None:
        m = re.search(r"listening on [^\s:]+:(\d+)", open(log).read())
        if m: port = int(m.group(1))
    if port is not None:
        try:
            MongoClient("127.0.0.1", port, directConnection=True, serverSelectionTimeoutMS=500,
                        connectTimeoutMS=500).admin.command("ping")
            print(port); sys.exit(0)
        except Exception:
            pass
    time.sleep(0.05)
sys.exit(1)
PY
  )" || {
    echo "secantus: server did not become ready; log follows:" >&2
    cat "$_SECANTUS_TMP/log" >&2
    secantus_stop
    return 1
  }
  export SECANTUS_PORT SECANTUS_PID
  export MONGODB_URI="mongodb://127.0.0.1:$SECANTUS_PORT"
  echo "secantus: ready on 127.0.0.1:$SECANTUS_PORT (pid $SECANTUS_PID)" >&2
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then          # sourced
  _secantus_start && echo "$SECANTUS_PORT"
else                                                # executed
  _secantus_start || exit 1
  if (($#)); then
    "$@"
    exit $?                                         # EXIT trap stops the server
  fi
  echo "$SECANTUS_PORT"
  wait "$SECANTUS_PID"
fi
