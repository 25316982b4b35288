#!/usr/bin/env python3
"""A forger on the broker, for tests/replication/faults.sh: takes the newest batch a site
published (a JetStream direct get, in NATS's own text protocol), changes one byte of its last
record, and publishes it again on the site's subject, as anyone with publish rights could.

    forge_batch.py PORT SITE [STREAM]

Prints the stream sequence of the batch it copied. Exit 1 when there is none."""
import json
import socket
import sys


def main() -> int:
    port, site = int(sys.argv[1]), sys.argv[2]
    stream = sys.argv[3] if len(sys.argv) > 3 else "CUSTODY"
    subject = "custody.log." + site
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    f.readline()  # INFO
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n'
              b"PING\r\n")
    while f.readline().strip() != b"PONG":
        pass
    request = json.dumps({"last_by_subj": subject}).encode()
    s.sendall(b"SUB _INBOX.forge 1\r\n" +
              b"PUB $JS.API.DIRECT.GET.%s _INBOX.forge %d\r\n" % (stream.encode(), len(request)) +
              request + b"\r\n")
    while True:
        line = f.readline()
        if line.startswith(b"PING"):
            s.sendall(b"PONG\r\n")
            continue
        if line.startswith(b"HMSG"):
            break
        if not line:
            print("no answer from the broker", file=sys.stderr)
            return 1
    header_len, total_len = (int(x) for x in line.split()[-2:])
    message = f.read(total_len)
    f.read(2)
    headers, payload = message[:header_len].decode(), bytearray(message[header_len:])
    if " 404" in headers.splitlines()[0] or not payload:
        print("the site has published nothing: " + headers.splitlines()[0], file=sys.stderr)
        return 1
    seq = next((h.split(":", 1)[1].strip() for h in headers.splitlines()
                if h.lower().startswith("nats-sequence:")), "?")
    payload[-1] ^= 0x01  # one bit of the last record
    s.sendall(b"PUB %s %d\r\n" % (subject.encode(), len(payload)) + bytes(payload) + b"\r\nPING\r\n")
    while f.readline().strip() != b"PONG":
        pass
    print(seq)
    return 0


if __name__ == "__main__":
    sys.exit(main())
