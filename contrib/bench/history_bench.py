#!/usr/bin/python3
"""Benchmark (not a test; CI never runs it): the rooms' archive end to end.

Through the real chain (slixmpp -> Prosody -> polygate -> polygate-purple ->
ngircd), on 127.0.0.1, from a temp dir:

  1. a MAM page of 50 over an archive of --messages lines (default 100,000,
     put into the archive file while the daemon is stopped, as if relayed):
     the round trip of the query IQ, which comes back after its 50 results,
     p50/p99 over --queries queries from random places, both directions;
  2. a join with <history maxstanzas='20'/> against one with maxchars='0',
     by another resource of a user already in the room: join presence ->
     subject, p50/p99 over --joins joins of each, the difference being what
     history on join adds.

    /usr/bin/python3 contrib/bench/history_bench.py [--binary build-bench/src/polygate]

The lines stored per second and the cost of storing for the relay are
contrib/bench/history_bench.c and irc_bench.py --polygate-modes
history,nohistory (README.md).
"""

import argparse
import base64
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from xml.sax.saxutils import quoteattr

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import util  # noqa: E402
from harness.client import XmppClient  # noqa: E402
from harness.ircgw import (  # noqa: E402
    IRC, NS_CLIENT, IrcPolygate, bare, consume_all, record_stream, room_jid, subject,
    transports_for, wait_message)
from harness.ngircd import Ngircd  # noqa: E402
from harness.prosody import DOMAIN, Prosody  # noqa: E402
from harness.xep import register_form  # noqa: E402

NS_MAM = "urn:xmpp:mam:2"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_MUC = "http://jabber.org/protocol/muc"


class RawClient:
    """A c2s client that parses nothing: it looks for a marker in the bytes,
    so that what is timed is the gateway and Prosody, not a client's XML
    parsing (slixmpp takes about a millisecond per stanza here)."""

    def __init__(self, port, jid, password, resource="raw"):
        user, domain = jid.split("@")
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(30)
        self.buf = b""
        header = (f"<?xml version='1.0'?><stream:stream to='{domain}' xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
        self.send(header)
        self.read_until(b"</stream:features>")
        plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}"
                  "</auth>")
        self.read_until(b"<success")
        self.send(header)
        self.read_until(b"</stream:features>")
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  f"<resource>{resource}</resource></bind></iq>")
        self.read_until(b"</iq>")
        self.send("<presence/>")

    def send(self, text):
        self.sock.sendall(text.encode())

    def read_until(self, marker):
        """Returns: the bytes read up to and with @marker."""
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError(f"stream closed before {marker!r}")
            self.buf += chunk
        end = self.buf.index(marker) + len(marker)
        read, self.buf = self.buf[:end], self.buf[end:]
        return read

    def close(self):
        self.sock.close()


def start_trace(pid, path, nudge):
    """perf trace of @pid's recvfrom/sendto calls (all its threads) into
    @path (tracepoints: no ptrace stop per call, unlike strace); returns
    once a call made by nudge() shows in it."""
    proc = subprocess.Popen(["perf", "trace", "-p", str(pid), "-e", "recvfrom,sendto",
                             "-o", path], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        nudge()
        with open(path, "a+") as f:
            f.seek(0)
            if "recvfrom(" in f.read():
                return proc
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("perf trace did not start")


TRACE_RE = re.compile(r"^\s*(\d+\.\d+) \(\s*(\d+\.\d+) ms\): \S+ (recvfrom|sendto)"
                      r"\(fd: (\d+),.*\)\s+= (-?\d+)")


def service_times(path):
    """Per page, in seconds: from the start of the daemon's read of the query
    to the end of its last write before the next query, on the component's
    socket (the fd with the most writes).  Only pages are traced."""
    calls = []
    with open(path, errors="replace") as f:
        for line in f:
            m = TRACE_RE.match(line)
            if m is not None and int(m[5]) > 0:
                calls.append((float(m[1]) / 1000, float(m[2]) / 1000, m[3], int(m[4])))
    writes = {}
    for _, _, call, fd in calls:
        if call == "sendto":
            writes[fd] = writes.get(fd, 0) + 1
    component = max(writes, key=writes.get)
    pages, start, end, writes = [], None, None, 0
    for at, took, call, fd in calls + [(0, 0, "recvfrom", component)]:
        if fd != component:
            continue
        if call == "recvfrom":
            if writes > 50:  # a page: 50 results and the IQ (not a nudge)
                pages.append(end - start)
            start, end, writes = at, None, 0
        elif start is not None:
            end, writes = at + took, writes + 1
    return pages


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * (len(ordered) - 1) + 0.5))]


def join(client, room, nick, history):
    """Join with <history @history/>; seconds from the presence to the subject."""
    attrs = "".join(f" {k}={quoteattr(str(v))}" for k, v in history.items())
    consume_all(client)
    start = time.monotonic()
    client.send_raw(f"<presence xmlns='{NS_CLIENT}' to={quoteattr(room + '/' + nick)}>"
                    f"<x xmlns='{NS_MUC}'><history{attrs}/></x></presence>")
    wait_message(client, lambda m: bare(m.get("from")) == bare(room) and subject(m) is not None,
                 30, "the subject")
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "src", "polygate"))
    parser.add_argument("--messages", type=int, default=100000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--joins", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--prosody-nagle", choices=("on", "off"), default="off",
                        help="Nagle's algorithm on Prosody's sockets (network_settings); "
                        "Prosody's own default is on, the testbed's off")
    parser.add_argument("--trace", metavar="FILE",
                        help="trace the daemon's socket reads and writes during the raw "
                        "client's pages into FILE (perf trace), to time the gateway's own "
                        "part of each page")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    worker = os.path.join(os.path.dirname(binary), "..", "backends", "purple", "polygate-purple")
    workdir = tempfile.mkdtemp(prefix="polygate-history-bench-")
    stack = []
    try:
        certs = os.path.join(workdir, "certs")
        os.makedirs(certs)
        util.selfsigned_cert(certs, DOMAIN)
        prosody = Prosody(os.path.join(workdir, "prosody"), certs, components=(IRC,),
                          nagle=args.prosody_nagle == "on")
        alice_jid = prosody.create_user("alice")
        checker_jid = prosody.create_user("harness")
        prosody.start()
        stack.append(prosody.stop)
        ngircd = Ngircd(os.path.join(workdir, "ngircd"))
        ngircd.start()
        stack.append(ngircd.stop)
        checker = XmppClient(checker_jid, prosody.passwords[checker_jid],
                             port=prosody.c2s_port).connect()
        stack.append(checker.disconnect)
        daemon = IrcPolygate(binary, os.path.join(workdir, "polygate"), prosody,
                             # all of the archive: the default limit (10,000 a
                             # room) would prune it at the first new line
                             transports_for(ngircd.port,
                                            history_max_messages=2 * args.messages)[:1],
                             global_options={"worker": os.path.abspath(worker)},
                             log_level="message")
        daemon.start(checker)
        stack.append(daemon.stop)
        alice = XmppClient(alice_jid, prosody.passwords[alice_jid],
                           port=prosody.c2s_port).connect()
        stack.append(alice.disconnect)
        reply = alice.iq_set(IRC, register_form({"nick": "alice"}))
        assert reply.get("type") == "result"
        record_stream(alice)
        alice.send_raw(f"<presence xmlns='{NS_CLIENT}' to='{IRC}'/>")
        room = room_jid("#hbench")
        join(alice, room, "alice", {"maxchars": 0})

        # the archive, filled as if relayed: 1 ms apart, ending now
        daemon.stop()
        db = sqlite3.connect(daemon.database + ".history")
        (room_id,) = db.execute("SELECT id FROM room WHERE folded = '#hbench'").fetchone()
        now = int(time.time() * 1e6)
        ids = [now - (args.messages - i) * 1000 for i in range(args.messages)]
        db.executemany("INSERT INTO message (room, id, nick, body) VALUES (?, ?, ?, ?)",
                       ((room_id, i, "bob", f"line {n} of the benchmark, about as long as a "
                         "chat line is") for n, i in enumerate(ids)))
        db.commit()
        db.close()
        daemon.start(checker)

        # what any IQ round trip costs through Prosody and slixmpp, and a
        # query that returns no line: the rest is the 50 results
        base, empty = [], []
        for q in range(args.queries):
            start = time.monotonic()
            alice.iq_get(room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")
            base.append(time.monotonic() - start)
            start = time.monotonic()
            alice.iq_set(room, f"<query xmlns='{NS_MAM}' queryid='e{q}'><set xmlns='{NS_RSM}'>"
                         "<max>0</max><before/></set></query>")
            empty.append(time.monotonic() - start)
        print(f"IQ round trip (disco#info on the room): p50 {statistics.median(base) * 1000:.2f}"
              f" ms, p99 {percentile(base, 0.99) * 1000:.2f} ms")
        print(f"MAM query with max=0: p50 {statistics.median(empty) * 1000:.2f} ms, "
              f"p99 {percentile(empty, 0.99) * 1000:.2f} ms")
        pages = []
        for q in range(args.queries):
            rsm = f"<max>50</max><after>{random.choice(ids[:-60])}</after>" if q % 2 == 0 \
                else f"<max>50</max><before>{random.choice(ids[60:]) if q % 4 == 1 else ''}</before>"
            start = time.monotonic()
            reply = alice.iq_set(room, f"<query xmlns='{NS_MAM}' queryid='q{q}'>"
                                 f"<set xmlns='{NS_RSM}'>{rsm}</set></query>")
            pages.append(time.monotonic() - start)
            assert reply.get("type") == "result", reply
        print(f"MAM page of 50 over {args.messages} lines, end to end ({args.queries} queries): "
              f"p50 {statistics.median(pages) * 1000:.2f} ms, "
              f"p99 {percentile(pages, 0.99) * 1000:.2f} ms")

        # the same without a parsing client: pages, and joins of a second
        # resource of alice while her first one is in the room (joined on
        # IRC already, so what is timed is the gateway's part: occupants,
        # history, subject; not an IRC round trip)
        alice.send_raw(f"<presence xmlns='{NS_CLIENT}' to='{IRC}'/>")
        join(alice, room, "alice", {"maxchars": 0})
        raw = RawClient(prosody.c2s_port, alice_jid, prosody.passwords[alice_jid])
        stack.append(raw.close)
        raw_pages = []
        tracer = None
        if args.trace:
            def nudge():
                raw.send(f"<iq type='get' id='nudge' to={quoteattr(room)}><query "
                         "xmlns='http://jabber.org/protocol/disco#info'/></iq>")
                raw.read_until(b"id='nudge'")
                raw.read_until(b"</iq>")
            tracer = start_trace(daemon.pid, args.trace, nudge)
        for q in range(args.queries):
            rsm = f"<max>50</max><after>{random.choice(ids[:-60])}</after>" if q % 2 == 0 \
                else f"<max>50</max><before>{random.choice(ids[60:]) if q % 4 == 1 else ''}</before>"
            start = time.monotonic()
            raw.send(f"<iq type='set' id='p{q}' to={quoteattr(room)}><query xmlns='{NS_MAM}' "
                     f"queryid='r{q}'><set xmlns='{NS_RSM}'>{rsm}</set></query></iq>")
            reply = raw.read_until(f"id='p{q}'".encode())
            reply += raw.read_until(b"</iq>")
            raw_pages.append(time.monotonic() - start)
            # an error (an id the archive does not hold) would time nothing
            reply = reply[reply.rfind(b"<iq"):]
            assert b"<error" not in reply, reply
        print(f"MAM page of 50, end to end to a client that parses nothing: p50 "
              f"{statistics.median(raw_pages) * 1000:.2f} ms, "
              f"p99 {percentile(raw_pages, 0.99) * 1000:.2f} ms")
        if tracer is not None:
            tracer.send_signal(2)
            tracer.wait()
            own = service_times(args.trace)
            print(f"the gateway's own part of those pages (query read -> last write, "
                  f"perf trace, {len(own)} pages): p50 {statistics.median(own) * 1000:.2f}"
                  f" ms, p99 {percentile(own, 0.99) * 1000:.2f} ms")
        plain, history = [], []
        occupant = quoteattr(room + "/alice")
        for _ in range(args.joins):
            for wanted, out in (("maxchars='0'", plain), ("maxstanzas='20'", history)):
                start = time.monotonic()
                raw.send(f"<presence to={occupant}><x xmlns='{NS_MUC}'><history {wanted}/>"
                         "</x></presence>")
                raw.read_until(b"<subject")
                out.append(time.monotonic() - start)
                raw.send(f"<presence to={occupant} type='unavailable'/>")
                raw.read_until(b"type='unavailable'")
                raw.read_until(b"</presence>")
        print(f"join without history: p50 {statistics.median(plain) * 1000:.2f} ms, "
              f"p99 {percentile(plain, 0.99) * 1000:.2f} ms")
        print(f"join with maxstanzas=20: p50 {statistics.median(history) * 1000:.2f} ms, "
              f"p99 {percentile(history, 0.99) * 1000:.2f} ms; added p50 "
              f"{(statistics.median(history) - statistics.median(plain)) * 1000:.2f} ms, p99 "
              f"{(percentile(history, 0.99) - percentile(plain, 0.99)) * 1000:.2f} ms")
    finally:
        for stop in reversed(stack):
            try:
                stop()
            except Exception as e:  # noqa: BLE001 (clean up what else is running)
                print(f"stop: {e}", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
