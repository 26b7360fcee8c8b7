#!/usr/bin/python3
"""A fake SMSC for trying Polygate's SMS transport without a phone network.

It is a client of bearerbox's `smsc = fake` listener (see kannel.conf):

- every MT message (an SMS a user sent from XMPP) is printed as one line
  "MT FROM -> TO: TEXT" (concatenated parts joined, UCS-2 decoded);
- every line written to the FIFO given with --mo-fifo, "FROM TO TEXT...",
  becomes an MO message (an SMS to a registered user's number), e.g.
      echo "+491510000001 +15551234567 hello from a phone" > mo.fifo

Usage: fake_smsc.py [--host 127.0.0.1] [--port 13010] [--mo-fifo PATH]
It connects (retrying for --connect-timeout seconds, as bearerbox may still
be starting), and exits 0 on SIGTERM/SIGINT or when bearerbox closes the
connection.  Uses only the Python standard library.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse


def unquote(data):
    """Kannel's octstr_url_encode(): %XX escapes and '+' for a space."""
    return urllib.parse.unquote_to_bytes(data.decode("ascii", "replace").replace("+", " "))


class FakeSmsc:
    def __init__(self, host, port, out):
        self.host, self.port, self.out = host, port, out
        self.sock = None
        self.partial = {}
        self.lock = threading.Lock()

    def connect(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection((self.host, self.port), timeout=2)
                self.sock.settimeout(None)
                return
            except OSError as e:
                if time.monotonic() >= deadline:
                    raise SystemExit(f"fake_smsc: cannot connect to {self.host}:{self.port}: {e}")
                time.sleep(0.1)  # polling interval of a bounded wait

    def emit(self, sender, receiver, text, parts=1):
        suffix = f" ({parts} parts)" if parts > 1 else ""
        print(f"MT {sender} -> {receiver}{suffix}: {text}", file=self.out, flush=True)

    def handle(self, line):
        words = line.split(b" ", 3)
        if len(words) < 4:
            return
        sender, receiver, kind = (w.decode("utf-8", "replace") for w in words[:3])
        rest = words[3]
        if kind == "text":
            self.emit(sender, receiver, rest.decode("utf-8", "replace"))
        elif kind == "data":
            self.emit(sender, receiver, unquote(rest).decode("utf-8", "replace"))
        elif kind == "ucs-2":
            self.emit(sender, receiver, unquote(rest).decode("utf-16-be", "replace"))
        elif kind == "udh":
            udh_text, _, data = rest.partition(b" data ")
            if not data:
                udh_text, _, data = rest.partition(b" ")
            udh, payload = unquote(udh_text), unquote(data)
            # 3GPP TS 23.040 9.2.3.24.1: UDHL, IEI 00, IEDL 3, ref, total, seq
            if len(udh) >= 6 and udh[1] == 0x00 and udh[2] == 3:
                key = (sender, receiver, udh[3])
                parts = self.partial.setdefault(key, {})
                parts[udh[5]] = payload
                if len(parts) == udh[4]:
                    del self.partial[key]
                    whole = b"".join(parts[i] for i in range(1, udh[4] + 1))
                    try:
                        text = whole.decode("utf-8")
                    except UnicodeDecodeError:
                        text = whole.decode("utf-16-be", "replace")
                    self.emit(sender, receiver, text, udh[4])
            else:
                self.emit(sender, receiver, payload.decode("utf-8", "replace"))

    def read_loop(self):
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                self.handle(line.rstrip(b"\r"))

    def send_mo(self, sender, receiver, text):
        # "text" lines are literal: one line, no escaping
        text = text.replace("\r", " ").replace("\n", " ")
        with self.lock:
            self.sock.sendall(f"{sender} {receiver} text {text}\n".encode("utf-8"))
        print(f"MO {sender} -> {receiver}: {text}", file=self.out, flush=True)


def fifo_loop(smsc, path):
    if not os.path.exists(path):
        os.mkfifo(path, 0o600)
    while True:
        with open(path, "r", encoding="utf-8", errors="replace") as fifo:
            for line in fifo:
                words = line.strip().split(" ", 2)
                if len(words) < 3:
                    print(f"fake_smsc: ignored (want 'FROM TO TEXT'): {line.strip()!r}",
                          file=sys.stderr, flush=True)
                    continue
                smsc.send_mo(*words)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=13010)
    parser.add_argument("--mo-fifo", help="a FIFO to read MO lines 'FROM TO TEXT' from")
    parser.add_argument("--connect-timeout", type=float, default=20)
    args = parser.parse_args()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: os._exit(0))
    smsc = FakeSmsc(args.host, args.port, sys.stdout)
    smsc.connect(args.connect_timeout)
    print(f"fake_smsc: connected to bearerbox at {args.host}:{args.port}", flush=True)
    if args.mo_fifo:
        threading.Thread(target=fifo_loop, args=(smsc, args.mo_fifo), daemon=True).start()
    smsc.read_loop()
    print("fake_smsc: bearerbox closed the connection", flush=True)


if __name__ == "__main__":
    main()
