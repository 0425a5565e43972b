#!/usr/bin/python3
"""Registers COUNT fresh keys for one device, each over a new TLS connection
with its client certificate, as devices do. Prints "ok N" or the first failure.

  register_many.py HOST PORT CA CERT KEY PATH COUNT
"""
import base64
import http.client
import os
import ssl
import sys


def main():
    host, port, ca, cert, key, path, count = sys.argv[1:]
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, key)
    for i in range(int(count)):
        body = base64.b64encode(os.urandom(32))
        connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
        connection.request("POST", path, body=body)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        if response.status != 200:
            print("failed at %d: %d %s" % (i, response.status, text.strip()))
            return 1
    print("ok %s" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
