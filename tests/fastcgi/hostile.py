#!/usr/bin/python3
"""Hostile peers of the FastCGI socket, and a legitimate request timed while
they are connected (the responder tests' evidence that no peer can hold the
responder).

  hostile.py SOCKET KIND COUNT
      opens COUNT connections that behave as KIND, then sends one ordinary
      request (GET /nothing) and prints "status=NNN elapsed=SECONDS"; the
      hostile connections stay open until it has its answer.
  KIND: kept-idle, protocol-error, trickle, idle, params-bomb,
        get-values-smash, unknown-management, half-request, slow-peers
  hostile.py SOCKET flood-management CONNECTIONS
      each connection sends unknown management records until dropped;
      prints how many were sent in all
"""
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from fcgi_client import begin, connect, params_records, read_response, record, STDIN  # noqa: E402

GET_VALUES = 9


def ordinary(path):
    sock = connect(path)
    params = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/nothing"}
    start = time.monotonic()
    sock.sendall(begin() + params_records(params) + record(STDIN, b""))
    response = read_response(sock) or b""
    elapsed = time.monotonic() - start
    status = response.split(b"\r\n", 1)[0].decode(errors="replace")
    return status.replace("Status: ", "").split(" ")[0] or "closed", elapsed


def hostile(path, kind, stop):
    sock = connect(path)
    if kind == "kept-idle":
        params = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/kept"}
        sock.sendall(begin(keep_connection=True) + params_records(params) + record(STDIN, b""))
        read_response(sock)
    elif kind == "protocol-error":
        sock.sendall(struct.pack("!BBHHBB", 2, 1, 1, 0, 0, 0))
        sock.close()
        sock = connect(path)
        sock.sendall(b"\x01")
    elif kind == "trickle":
        params = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/v1/register", "CONTENT_LENGTH": "44",
                  "HTTP_X_CLIENT_SUBJECT": "CN=1234"}
        data = begin() + params_records(params) + record(STDIN, b"A" * 44) + record(STDIN, b"")
        for byte in data:
            if stop.is_set():
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            stop.wait(1.0)
    elif kind == "idle":
        pass
    elif kind == "half-request":
        params = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/v1/register", "CONTENT_LENGTH": "44",
                  "HTTP_X_CLIENT_SUBJECT": "CN=1234"}
        sock.sendall(begin() + params_records(params) + record(STDIN, b"A" * 20))
    elif kind == "params-bomb":
        # libfcgi's ReadParams would allocate 2 GiB and abort on these lengths.
        content = struct.pack("!II", 0x40000000 | 0x80000000, 0x40000000 | 0x80000000) + b"x" * 16
        sock.sendall(begin() + record(4, content))
    elif kind == "get-values-smash":
        # libfcgi's management code overflows its 64-byte buffer on this.
        content = b"".join(bytes([14, 0]) + b"FCGI_MAX_CONNS" for _ in range(5))
        sock.sendall(record(GET_VALUES, content, request_id=0))
        try:
            read_response_any(sock)
        except OSError:
            pass
    elif kind == "slow-peers":
        # peers.json with the credential, and then not a byte read.
        params = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/v1/peers.json",
                  "HTTP_AUTHORIZATION": "Basic " + __import__("base64").b64encode(b"mon:pw").decode()}
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(begin() + params_records(params) + record(STDIN, b""))
    elif kind == "unknown-management":
        sock.sendall(record(42, b"", request_id=0))
    stop.wait()
    sock.close()


def read_response_any(sock):
    sock.settimeout(5)
    return sock.recv(65536)


def flood(path, connections):
    sent = 0
    one = record(77, b"", request_id=0)
    for _ in range(connections):
        sock = connect(path)
        try:
            for _ in range(1000):
                sock.sendall(one)
                sent += 1
        except OSError:
            pass
        sock.close()
    return sent


def main():
    path, kind = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3])
    if kind == "flood-management":
        print(f"sent={flood(path, count)}")
        return 0
    stop = threading.Event()
    threads = [threading.Thread(target=hostile, args=(path, kind, stop), daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    status, elapsed = ordinary(path)
    stop.set()
    print(f"status={status} elapsed={elapsed:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
