"""python-socketio against Ferroscout: authorize, the full dataUpdate, then a delta after a REST POST.

Usage: python_client.py BASE_URL SECRET_SHA1 TRANSPORT  (TRANSPORT: websocket | polling)
Exits 0 when every step happened, 1 with a message otherwise.
"""
import json
import queue
import random
import sys
import time
import urllib.request

import socketio


def main() -> int:
    base, secret, transport = sys.argv[1], sys.argv[2], sys.argv[3]
    updates: "queue.Queue[dict]" = queue.Queue()
    sio = socketio.Client(reconnection=False)
    sio.on("dataUpdate", lambda data: updates.put(data))
    sio.connect(base, transports=[transport], wait_timeout=10)
    try:
        ack = sio.call("authorize", {"client": "python", "secret": secret, "history": 48}, timeout=10)
        if ack != {"read": True, "write": True, "write_treatment": True}:
            print(f"unexpected authorize ack: {ack}")
            return 1
        full = updates.get(timeout=10)
        if full.get("delta") or "sgvs" not in full:
            print(f"first dataUpdate is not the full payload: {list(full)}")
            return 1
        sgv = random.randint(40, 400)
        now = int(time.time() * 1000) - 5000
        body = json.dumps({"type": "sgv", "sgv": sgv, "date": now, "device": "python"}).encode()
        req = urllib.request.Request(base + "/api/v1/entries", data=body,
                                     headers={"content-type": "application/json", "api-secret": secret})
        urllib.request.urlopen(req, timeout=10).read()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            d = updates.get(timeout=max(0.1, deadline - time.monotonic()))
            if d.get("delta") and any(x.get("mgdl") == sgv and x.get("mills") == now for x in d.get("sgvs", [])):
                print("ok")
                return 0
        print("no delta with the posted reading")
        return 1
    finally:
        sio.disconnect()


if __name__ == "__main__":
    sys.exit(main())
