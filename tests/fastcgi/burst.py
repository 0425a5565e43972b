#!/usr/bin/python3
"""Registers many devices at once, straight to the FastCGI socket, each with
a fresh key, CONCURRENCY at a time; prints one line per device:
"NAME STATUS KEY" (for checking what the interface and the journal hold).

  burst.py SOCKET FIRST COUNT CONCURRENCY [TWICE]
With TWICE, the first TWICE names are registered twice (two keys racing for
one name); each attempt is one line.
"""
import base64
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from fcgi_client import begin, connect, params_records, read_response, record, STDIN  # noqa: E402


def register(path, name):
    key = base64.b64encode(os.urandom(32)).decode()
    params = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/v1/register", "CONTENT_LENGTH": str(len(key)),
              "HTTP_X_CLIENT_SUBJECT": "CN=%d" % name}
    # While the responder is down (restarting), connecting fails at once:
    # try again for a while, as a web server's client would.
    for _ in range(200):
        try:
            sock = connect(path)
            break
        except (ConnectionRefusedError, FileNotFoundError):
            time.sleep(0.05)
    else:
        return "error:unreachable", key
    try:
        sock.sendall(begin() + params_records(params) + record(STDIN, key.encode()) + record(STDIN, b""))
        response = read_response(sock) or b""
        sock.close()
        status = response.split(b"\r\n", 1)[0].decode(errors="replace").replace("Status: ", "").split(" ")[0]
    except OSError as e:
        status = "error:" + type(e).__name__
    return status or "closed", key


def main():
    path, first, count, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    twice = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    names = list(range(first, first + count)) + list(range(first, first + twice))
    random.shuffle(names)
    results = []
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not names:
                    return
                name = names.pop()
            status, key = register(path, name)
            with lock:
                results.append((name, status, key))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, status, key in sorted(results):
        print(name, status, key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
