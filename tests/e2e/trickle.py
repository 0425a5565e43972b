#!/usr/bin/python3
"""A slow client: sends a registration's headers, then its 44-byte body one
byte every 0.3 s, for as long as SECONDS allow (the web server may stream the
body to autowg as it comes, as Caddy does). Without CERT it comes without a
client certificate.

  trickle.py HOST PORT CA PATH SECONDS [CERT KEY]
"""
import socket
import ssl
import sys
import time


def main():
    host, port, ca, path, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
    context = ssl.create_default_context(cafile=ca)
    if len(sys.argv) > 7:
        context.load_cert_chain(sys.argv[6], sys.argv[7])
    context.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection((host, port), timeout=30)
    sock = context.wrap_socket(raw, server_hostname=host)
    body = b"A" * 43 + b"="
    sock.sendall(("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %d\r\n\r\n" % (path, host, port, len(body)))
                 .encode())
    end = time.monotonic() + seconds
    for byte in body:
        if time.monotonic() > end:
            break
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(0.3)
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
