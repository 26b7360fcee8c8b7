#!/usr/bin/python3
"""Benchmark (not a test; CI never runs it): SMS per second and latency
through the whole SMS gateway, both ways, with N registered users.

It starts its own Prosody, Kannel (bearerbox + smsbox + a Python fake SMSC)
and polygate on free 127.0.0.1 ports through the integration harness
(tests/integration/harness/smsgw.py), creates N accounts, logs N slixmpp
clients in, registers each on sms.localhost with its own number and sends
its available presence (one session, one SMS link each), then warms every
link up with one SMS.  Then:

  XMPP -> SMS     every user sends --per-user texts to its own peer number at
                  once; the clock stops when the fake SMSC got all of them.
                  (The daemon sends one SMS per recipient at a time, so a
                  user's texts go one after the other; users go in parallel.)
  SMS -> XMPP     the fake SMSC sends --per-user MO texts to every user's
                  number at once (bearerbox -> smsbox get-url -> polygate
                  /kannel/inbound -> worker -> XMPP); the clock stops when
                  every client got all of them.
  HTTP -> XMPP    the same, but calling /kannel/inbound directly (16 HTTP
                  clients in parallel): polygate alone, without Kannel.
  sequential      one text at a time (each waits for the previous), both
                  ways, for the unloaded latency.

Latency is per message: from the send (XMPP write, MO line, HTTP request) to
its arrival (the fake SMSC's read, the client's receive).

    /usr/bin/python3 contrib/bench/sms_bench.py [--users 100] [--per-user 5]
        [--binary PATH] [--users-per-worker 1] [--keep]

Use a non-sanitized build (build-demo/, build/): ASan multiplies time and memory.
"""

import argparse
import concurrent.futures
import os
import queue
import shutil
import statistics
import tempfile
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

import benchlib  # first: it puts tests/integration on sys.path

from harness import util  # noqa: E402
from harness.client import XmppClient  # noqa: E402
from harness.prosody import DOMAIN  # noqa: E402
from harness.smsgw import SMS, SmsGateway, http_get, register  # noqa: E402

# where default_binary() looks for polygate, first to last
BUILDS = ("build-demo", "build-bench", "build", "build-smsgw")

NS_CLIENT = "jabber:client"


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Arrivals:
    """Arrival times of tagged texts (the tag is the text's first word)."""

    def __init__(self):
        self.times = {}
        self.cond = threading.Condition()

    def add(self, text):
        now = time.monotonic()
        tag = text.split(" ", 1)[0]
        with self.cond:
            self.times.setdefault(tag, now)
            self.cond.notify_all()

    def wait_all(self, tags, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                missing = [t for t in tags if t not in self.times]
                if not missing:
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise util.HarnessError(
                        f"{what}: {len(missing)} of {len(tags)} missing after {timeout}s "
                        f"(e.g. {missing[:3]})")
                self.cond.wait(min(left, 1.0))


class Bench:
    def __init__(self, args, directory):
        self.args = args
        options = {"users_per_worker": args.users_per_worker} if args.users_per_worker else None
        self.gw = SmsGateway(directory, self._cert_dir(directory), args.binary,
                             log_level="message", proxy=False, global_options=options)
        self.mt = Arrivals()     # at the fake SMSC
        self.xmpp = Arrivals()   # at the XMPP clients
        self.clients = []
        self.numbers = []
        self.peers = []
        self.sent = {}

    @staticmethod
    def _cert_dir(directory):
        path = os.path.join(directory, "certs")
        util.selfsigned_cert(path, DOMAIN)
        return path

    def start(self):
        self.gw.start()
        # every MT message, timestamped as the fake SMSC reads it
        def drain():
            while True:
                message = self.gw.smsc.messages.get()
                if message is None:
                    return
                self.mt.add(message.text)
        self.drainer = threading.Thread(target=drain, daemon=True)
        self.drainer.start()

    def stop(self):
        for client in self.clients:
            client.disconnect(timeout=2)
        self.gw.smsc.messages.put(None)
        self.gw.stop()

    def setup_users(self):
        n = self.args.users
        base = 1000000 + (os.getpid() % 1000) * 1000
        self.numbers = [f"+1555{base + i:07d}" for i in range(n)]
        self.peers = [f"+4915{base + i:08d}" for i in range(n)]
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            jids = list(pool.map(lambda i: self.gw.prosody.create_user(f"bench{i}"), range(n)))
        t1 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            self.clients = list(pool.map(
                lambda jid: XmppClient(jid, self.gw.prosody.passwords[jid],
                                       port=self.gw.prosody.c2s_port).connect(30), jids))
        for client in self.clients:
            client.xmpp.add_event_handler(
                "message", lambda m: self.xmpp.add(m["body"]) if m["body"] else None)
        t2 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: register(self.clients[i], self.numbers[i]), range(n)))
        for client in self.clients:
            client.send_raw(f"<presence xmlns='{NS_CLIENT}' to='{SMS}'/>")
        t3 = time.monotonic()
        # warm-up: one SMS per user, so every worker and SMS link is up
        tags = [self.send_xmpp(i, "warm") for i in range(n)]
        self.mt.wait_all(tags, 120, "warm-up SMS")
        t4 = time.monotonic()
        print(f"setup: {n} accounts {t1 - t0:.1f}s, logins {t2 - t1:.1f}s, "
              f"registrations {t3 - t2:.1f}s, warm-up (sessions + 1 SMS each) {t4 - t3:.1f}s",
              flush=True)

    # -- the two directions ------------------------------------------------------
    def send_xmpp(self, i, label):
        tag = f"{label}-{i}-{uuid.uuid4().hex[:8]}"
        self.sent[tag] = time.monotonic()
        self.clients[i].send_raw(
            f"<message xmlns='{NS_CLIENT}' to='{self.peers[i]}@{SMS}' type='chat' "
            f"id='{tag}'><body>{escape(tag)} hello from XMPP</body></message>")
        return tag

    def send_mo(self, i, label):
        tag = f"{label}-{i}-{uuid.uuid4().hex[:8]}"
        self.sent[tag] = time.monotonic()
        self.gw.smsc.send_mo(self.peers[i], self.numbers[i], f"{tag} hello from a phone")
        return tag

    def send_http(self, i, label):
        tag = f"{label}-{i}-{uuid.uuid4().hex[:8]}"
        self.sent[tag] = time.monotonic()
        status, _ = self.gw.call_inbound(**{"from": self.peers[i], "to": self.numbers[i],
                                            "text": f"{tag} hello over HTTP",
                                            "charset": "UTF-8", "coding": "0"})
        if status != 200:
            raise util.HarnessError(f"/kannel/inbound answered {status}")
        return tag

    def result(self, name, tags, arrivals, t0):
        t_end = max(arrivals.times[t] for t in tags)
        latencies = [(arrivals.times[t] - self.sent[t]) * 1000 for t in tags]
        return {"name": name, "count": len(tags), "seconds": t_end - t0,
                "rate": len(tags) / (t_end - t0),
                "p50": percentile(latencies, 0.50), "p99": percentile(latencies, 0.99),
                "max": max(latencies)}

    def burst(self, name, send, arrivals):
        n, k = self.args.users, self.args.per_user
        self.sent = {}
        t0 = time.monotonic()
        if send == self.send_http:
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                tags = list(pool.map(lambda j: send(j % n, name), range(n * k)))
        else:
            tags = [send(j % n, name) for j in range(n * k)]
        arrivals.wait_all(tags, self.args.timeout, name)
        return self.result(name, tags, arrivals, t0)

    def sequential(self, name, send, arrivals, count):
        self.sent = {}
        tags = []
        t0 = time.monotonic()
        for j in range(count):
            tag = send(j % self.args.users, name)
            arrivals.wait_all([tag], 30, name)
            tags.append(tag)
        return self.result(name, tags, arrivals, t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--per-user", type=int, default=5)
    parser.add_argument("--sequential", type=int, default=100,
                        help="texts in each sequential run")
    parser.add_argument("--users-per-worker", type=int, default=0,
                        help="the daemon's users_per_worker (0: its default, 1)")
    parser.add_argument("--binary", default=benchlib.default_binary(BUILDS))
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    args.binary = benchlib.binary_or_exit(args.binary)

    directory = tempfile.mkdtemp(prefix="sms-bench-")
    bench = Bench(args, directory)
    results = []
    try:
        bench.start()
        bench.setup_users()
        results.append(bench.sequential("seq-xmpp-to-sms", bench.send_xmpp, bench.mt,
                                         args.sequential))
        results.append(bench.sequential("seq-sms-to-xmpp", bench.send_mo, bench.xmpp,
                                         args.sequential))
        results.append(bench.burst("xmpp-to-sms", bench.send_xmpp, bench.mt))
        results.append(bench.burst("sms-to-xmpp", bench.send_mo, bench.xmpp))
        results.append(bench.burst("http-to-xmpp", bench.send_http, bench.xmpp))
        workers = len([p for p in os.listdir("/proc") if p.isdigit()
                       and _ppid(p) == bench.gw.daemon.pid])
    finally:
        try:
            bench.stop()
        finally:
            if args.keep:
                print(f"kept {directory}")
            else:
                shutil.rmtree(directory, ignore_errors=True)

    print()
    print(f"SMS gateway, {args.users} users ({workers} worker processes), "
          f"{args.per_user} texts per user per burst, binary {args.binary}")
    header = f"{'run':<18} {'texts':>6} {'seconds':>8} {'texts/s':>8} " \
             f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['name']:<18} {r['count']:>6} {r['seconds']:>8.2f} {r['rate']:>8.1f} "
              f"{r['p50']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f}")


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return int(stat[stat.rindex(")") + 2:].split()[1])
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    main()
