#!/usr/bin/python3
"""A minimal FastCGI client for the responder tests: it can send a request
whole, or stop part-way and go on later, to show what the responder does.

  fcgi_client.py SOCKET request METHOD URI [PARAM=VALUE...] < body
      prints the response (headers and body) as the responder sent it
  fcgi_client.py SOCKET stall SECONDS [then-finish]
      sends the beginning of a request and its parameters, then half a
      record, waits SECONDS; with then-finish it sends the rest and prints
      the response (or "closed" when the responder dropped the connection)
  fcgi_client.py SOCKET keepalive URI URI
      two GET requests on one connection kept open (FCGI_KEEP_CONN)
"""
import socket
import struct
import sys
import time

BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def record(kind, content, request_id=1):
    return struct.pack("!BBHHBB", 1, kind, request_id, len(content), 0, 0) + content


def pair(name, value):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return length(len(name)) + length(len(value)) + name + value


def begin(keep_connection=False):
    return record(BEGIN_REQUEST, struct.pack("!HB5x", 1, 1 if keep_connection else 0))


def params_records(params):
    body = b"".join(pair(k, v) for k, v in params.items())
    return record(PARAMS, body) + record(PARAMS, b"")


def read_response(sock):
    out, buffer = b"", b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return out if out else None
        buffer += chunk
        while len(buffer) >= 8:
            _, kind, _, length, padding, _ = struct.unpack("!BBHHBB", buffer[:8])
            if len(buffer) < 8 + length + padding:
                break
            content = buffer[8:8 + length]
            buffer = buffer[8 + length + padding:]
            if kind == STDOUT:
                out += content
            elif kind == END_REQUEST:
                return out


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(60)
    sock.connect(path)
    return sock


def main():
    path, mode = sys.argv[1], sys.argv[2]
    sock = connect(path)
    if mode == "request":
        method, uri = sys.argv[3], sys.argv[4]
        body = sys.stdin.buffer.read()
        params = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "CONTENT_LENGTH": str(len(body))}
        for item in sys.argv[5:]:
            k, v = item.split("=", 1)
            params[k] = v
        stdin = (record(STDIN, body) if body else b"") + record(STDIN, b"")
        sock.sendall(begin() + params_records(params) + stdin)
        response = read_response(sock)
        sys.stdout.write("closed\n" if response is None else response.decode())
        return 0
    if mode == "stall":
        seconds = float(sys.argv[3])
        body = b"A" * 44
        params = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/v1/register", "CONTENT_LENGTH": str(len(body)),
                  "HTTP_X_CLIENT_SUBJECT": "CN=1234"}
        whole = record(STDIN, body) + record(STDIN, b"")
        sock.sendall(begin() + params_records(params) + whole[:12])
        time.sleep(seconds)
        if len(sys.argv) > 4:
            try:
                sock.sendall(whole[12:])
                response = read_response(sock)
            except OSError:
                response = None
            sys.stdout.write("closed\n" if response is None else response.decode())
        return 0
    if mode == "keepalive-post":
        # Registrations on one kept connection: the first without an
        # identity (refused before its body is read), the rest with one.
        key = sys.stdin.read().strip()
        for i, subject in enumerate(["", "CN=1234", "CN=1234"]):
            params = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/v1/register", "CONTENT_LENGTH": str(len(key))}
            if subject:
                params["HTTP_X_CLIENT_SUBJECT"] = subject
            stdin = record(STDIN, key.encode()) + record(STDIN, b"")
            sock.sendall(begin(keep_connection=True) + params_records(params) + stdin)
            response = read_response(sock)
            sys.stdout.write(("closed" if response is None else response.decode().split("\r\n")[0]) + "\n")
        return 0
    if mode == "keepalive":
        for uri in sys.argv[3:5]:
            params = {"REQUEST_METHOD": "GET", "REQUEST_URI": uri}
            sock.sendall(begin(keep_connection=True) + params_records(params) + record(STDIN, b""))
            response = read_response(sock)
            sys.stdout.write("closed\n" if response is None else response.decode())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
