#!/usr/bin/python3
"""Stands in for systemd's notify socket: binds a unix datagram socket at
argv[1] and prints every datagram as one JSON line {"t": epoch ms, "msg": text}.
Node cannot bind unix datagram sockets, so the test uses this."""
import json
import os
import socket
import sys
import time

path = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
print(json.dumps({"t": time.time() * 1000, "msg": "LISTENING"}), flush=True)
while True:
    data = sock.recv(65536)
    print(json.dumps({"t": time.time() * 1000, "msg": data.decode("utf-8", "replace")}), flush=True)
