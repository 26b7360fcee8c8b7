#!/usr/bin/python3
"""Benchmark (not a test; CI never runs it): Polygate's IRC transport against
biboumi, on the same box, through the same Prosody and ngircd, in one run.

For each N (number of XMPP users) and each gateway in turn (Polygate with
users_per_worker = 1, Polygate with users_per_worker = 50, biboumi), it
starts the gateway fresh, brings N slixmpp users into one IRC channel through
it (all joining at once), with a raw-socket IRC client ("bob") in the channel
too, and measures:

  join time per user (MUC join presence -> self-presence), p50/p99/max;
  one IRC line to all N users (time until the last one has it);
  sequential latency XMPP->IRC and IRC->XMPP, p50/p99 (one message in flight);
  burst throughput XMPP->IRC and IRC->XMPP (B lines in one write), with
  completeness, duplicates and order at the receiver and at every other user;
  gateway memory: VmRSS (and PSS) of the daemon plus every polygate-purple
  worker, or of biboumi, idle / after the joins / after the bursts, per user;
  gateway CPU seconds spent per 1000 burst lines.

Throttling is off on both: Polygate irc_throttle_interval = 0, biboumi
throttle_limit = -1 (set with its per-server ad-hoc "configure", the whole
form submitted back, see Member.adhoc_configure).  ngircd runs without flood
penalties.

User 0 ("alice", the one that sends and whose arrivals are timed) and bob live
in this process; users 1..N-1 (the "crowd") live in a second process (one
asyncio loop, many slixmpp clients), so timing alice is not queued behind the
crowd's parsing of the fan-out.  Every message a burst sends is fanned out to
all N users (each has its own IRC connection), so a burst is N x B stanzas
through Prosody: the burst length is min(--burst, --fanout-budget / N).

    /usr/bin/python3 contrib/bench/irc_bench.py [--users 1,100,500]
        [--users-per-worker 1,50] [--burst 2000] [--latency 200] [--binary PATH]

Use a non-sanitized optimized build (meson -Dbuildtype=release into
build-bench/).  Everything runs on 127.0.0.1 on free ports, from a temp dir,
and every process it started is stopped at the end, also on error or Ctrl-C;
the whole run is bounded by --max-minutes.
"""

import argparse
import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

from harness import util  # noqa: E402
from harness.polygate import Polygate  # noqa: E402
from harness.prosody import DOMAIN, Prosody  # noqa: E402
from harness.xep import register_form  # noqa: E402

NS_CLIENT = "jabber:client"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"

POLYGATE_JID = "irc.localhost"
BIBOUMI_JID = "biboumi.localhost"
IRC_SERVER = "127.0.0.1"
WORKER_NAME = "polygate-purple"
PAD = "the quick brown fox jumps over the lazy dog"


def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# -- numbers -------------------------------------------------------------------

def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def proc_status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_start_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


# -- gateways ------------------------------------------------------------------

class CallgrindRun:
    """--callgrind: instructions counted by valgrind's callgrind, the same
    for the same binary and input whatever else the machine does, so two
    builds compare on a busy 2-core box where wall-clock rates do not."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)

    def wrap(self, binary, role):
        """A script that runs binary under callgrind, its profile in self.dir;
        the worker wrapper keeps the worker's file name."""
        folder = os.path.join(self.dir, role)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, os.path.basename(binary))
        out = os.path.join(self.dir, f"{role}.%p")
        with open(path, "w") as f:
            f.write(f"#!/bin/sh\nexec valgrind -q --tool=callgrind "
                    f"--callgrind-out-file={out} {binary} \"$@\"\n")
        os.chmod(path, 0o755)
        return path

    @staticmethod
    def control(option, pids):
        for pid in pids:
            subprocess.run(["callgrind_control", option, str(pid)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60, check=False)

    def zero(self, pids):
        self.control("-z", pids)

    def dump(self, pids, daemon_pid):
        """Dump every process's counts since zero(); (daemon, workers) totals."""
        self.control("-d", pids)
        daemon = workers = 0
        for pid in pids:
            parts = [n for n in os.listdir(self.dir) if re.fullmatch(rf"\w+\.{pid}\.\d+", n)]
            if not parts:
                continue
            newest = max(parts, key=lambda n: int(n.rsplit(".", 1)[1]))
            with open(os.path.join(self.dir, newest)) as f:
                total = next((int(line.split()[1]) for line in f
                              if line.startswith("totals:")), 0)
            if pid == daemon_pid:
                daemon += total
            else:
                workers += total
        return daemon, workers


class PolygateGateway:
    """The daemon with its IRC transport; RSS = daemon + polygate-purple workers."""

    kind = "polygate"

    def __init__(self, binary, worker, directory, prosody, ngircd_port, users_per_worker,
                 baseline=False, history=True, callgrind=False):
        # --baseline: an older build, run in the same session for a fair
        # comparison; one older than [transport] irc_allow refuses that key
        self.label = (f"{'baseline' if baseline else 'polygate'} upw={users_per_worker}"
                      + ("" if history else " no-history"))
        self.short = f"{'b' if baseline else 'p'}{'' if history else 'n'}{users_per_worker}"
        self.jid = POLYGATE_JID
        self.users_per_worker = users_per_worker
        transport = {"name": "irc", "jid": POLYGATE_JID, "type": "irc",
                     "display": "IRC gateway", "irc_port": ngircd_port,
                     "irc_throttle_interval": 0}
        with open(binary, "rb") as f:
            image = f.read()
        knows_allow = b"irc_allow" in image
        if knows_allow:  # builds since the IRC server policy refuse loopback
            transport["irc_allow"] = "127.0.0.0/8;"
        knows_history = b"history_max_messages" in image
        if knows_history and not history:  # builds that archive rooms (XEP-0313)
            transport["history"] = "false"
        extra = ""
        self.callgrind = None
        if callgrind:
            # daemon and workers under callgrind; a sandboxed worker could
            # not write its profile (Landlock's cost is in the kernel, which
            # callgrind does not count either way)
            self.callgrind = CallgrindRun(os.path.join(directory, "callgrind"))
            binary = self.callgrind.wrap(binary, "daemon")
            worker = self.callgrind.wrap(worker, "worker")
            if b"worker_sandbox" in image:
                extra = "worker_sandbox = off\n"
        self.daemon = Polygate(binary, directory, prosody, transports=(transport,),
                               log_level="info")
        # [polygate] options the harness class does not write
        with open(self.daemon.config_path) as f:
            text = f.read()
        text = text.replace("[polygate]\n", "[polygate]\n"
                            f"worker = {worker}\nusers_per_worker = {users_per_worker}\n"
                            + extra, 1)
        with open(self.daemon.config_path, "w") as f:
            f.write(text)
        self.log_path = self.daemon.log_path
        self.seen_workers = {}  # pid -> start ticks

    def start(self, checker):
        self.daemon.start(checker, timeout=30)

    def pids(self):
        if not self.daemon.running:
            return []
        if self.callgrind:  # every process runs as valgrind's
            workers = util.children_named(self.daemon.pid, None)
        else:
            workers = util.children_named(self.daemon.pid, WORKER_NAME)
        for pid in workers:
            self.seen_workers.setdefault(pid, proc_start_ticks(pid))
        return [self.daemon.pid] + workers

    def worker_count(self):
        return max(0, len(self.pids()) - 1)

    def stop(self):
        """Stop the daemon; returns a list of problems seen (exit code, left
        over workers)."""
        problems = []
        self.pids()
        try:
            self.daemon.stop(timeout=30)
        except util.HarnessError as e:
            problems.append(f"polygate stop: {str(e).splitlines()[0]}")
        # workers must have exited with the daemon
        deadline = time.monotonic() + 10
        left = []
        while time.monotonic() < deadline:
            left = [p for p, t in self.seen_workers.items()
                    if t is not None and proc_start_ticks(p) == t]
            if not left:
                break
            time.sleep(0.2)  # polling interval of a bounded wait
        if left:
            problems.append(f"{len(left)} polygate-purple workers still alive 10 s after "
                            "the daemon stopped; killed")
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        return problems

    def tail(self):
        return util.log_tail(self.log_path, 30)

    def crash_report(self):
        """Lines of the daemon log that say a worker died or something broke."""
        try:
            with open(self.log_path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return []
        keys = ("CRITICAL", "WARNING", "ERROR", "died", "crash", "signal", "exited")
        return [l for l in lines if any(k in l for k in keys)][:20]


class BiboumiGateway:
    kind = "biboumi"

    def __init__(self, directory, prosody, history=True):
        self.history = history
        self.label = "biboumi" if history else "biboumi no-history"
        self.short = "b" if history else "h"
        self.jid = BIBOUMI_JID
        self.dir = os.path.abspath(directory)
        os.makedirs(os.path.join(self.dir, "policy"), exist_ok=True)
        self.config_path = os.path.join(self.dir, "biboumi.cfg")
        self.log_path = os.path.join(self.dir, "biboumi.log")
        self.proc = None
        with open(self.config_path, "w") as f:
            f.write("\n".join([
                f"hostname={BIBOUMI_JID}",
                f"password={prosody.components[BIBOUMI_JID]}",
                "xmpp_server_ip=127.0.0.1",
                f"port={prosody.component_port}",
                "identd_port=0",
                f"db_name={self.dir}/biboumi.sqlite",
                f"policy_directory={self.dir}/policy",
                "log_file=",
                "log_level=1",
                "",
            ]))
        os.chmod(self.config_path, 0o600)

    def start(self, checker):
        out = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["/usr/bin/biboumi", self.config_path],
                                     stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, cwd=self.dir)
        out.close()

        def answers():
            reply = checker.iq_get(BIBOUMI_JID, f"<query xmlns='{NS_DISCO_INFO}'/>", timeout=3)
            return reply.get("type") == "result"
        util.wait_for(answers, 30, "biboumi to answer disco#info", self.log_path,
                      interval=0.2, alive=lambda: self.proc.poll() is None)

    def pids(self):
        return [self.proc.pid] if self.proc is not None and self.proc.poll() is None else []

    def worker_count(self):
        return 0

    def stop(self):
        problems = []
        if self.proc is None:
            return problems
        proc, self.proc = self.proc, None
        if proc.poll() is not None:
            problems.append(f"biboumi had exited (code {proc.returncode}) before the stop")
            return problems
        rc, killed = util.stop_process(proc, timeout=15)
        if killed:
            problems.append("biboumi ignored SIGTERM for 15 s; killed")
        return problems

    def tail(self):
        return util.log_tail(self.log_path, 30)

    def crash_report(self):
        return []


# -- XMPP side ---------------------------------------------------------------

class Track:
    """What one user received of one token: count, dups, order, times."""

    __slots__ = ("count", "dups", "disorder", "last_seq", "first_t", "last_t", "seen")

    def __init__(self):
        self.count = 0
        self.dups = 0
        self.disorder = 0
        self.last_seq = -1
        self.first_t = None
        self.last_t = None
        self.seen = bytearray()

    def add(self, seq, now):
        if seq >= len(self.seen):
            self.seen.extend(bytes(seq + 1 - len(self.seen) + 256))
        if self.seen[seq]:
            self.dups += 1
            return
        self.seen[seq] = 1
        self.count += 1
        if seq < self.last_seq:
            self.disorder += 1
        self.last_seq = max(self.last_seq, seq)
        if self.first_t is None:
            self.first_t = now
        self.last_t = now


def parse_body(text):
    """'TOKEN SEQ padding' -> (token, seq), else None."""
    parts = text.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def body_line(token, seq):
    return f"{token} {seq} {PAD}"


class Member:
    """One XMPP user: a slixmpp client with a fast message/presence handler."""

    def __init__(self, jid, password, port):
        self.jid = jid
        self.password = password
        self.port = port
        self.tracks = {}
        self.waiters = {}        # (token, seq) -> future (alice only)
        self.presence_waiters = {}  # occupant JID -> future
        self.errors = []
        self.xmpp = None

    async def connect(self, timeout):
        xmpp = slixmpp.ClientXMPP(self.jid, self.password)
        xmpp.auto_authorize = None
        xmpp.auto_subscribe = False
        started = asyncio.get_running_loop().create_future()

        def ok(_event):
            if not started.done():
                started.set_result(True)

        def failed(event):
            if not started.done():
                started.set_exception(RuntimeError(f"{self.jid}: login failed: {event}"))

        xmpp.add_event_handler("session_start", ok)
        xmpp.add_event_handler("failed_auth", failed)
        xmpp.add_event_handler("connection_failed", failed)
        xmpp.register_handler(Callback("bench message", MatchXPath(f"{{{NS_CLIENT}}}message"),
                                       self._on_message))
        xmpp.register_handler(Callback("bench presence",
                                       MatchXPath(f"{{{NS_CLIENT}}}presence"),
                                       self._on_presence))
        self.xmpp = xmpp
        xmpp.connect(("127.0.0.1", self.port), force_starttls=False, disable_starttls=True)
        await asyncio.wait_for(started, timeout)

    def _on_message(self, stanza):
        now = time.monotonic()
        element = stanza.xml
        if element.get("type") == "error":
            if len(self.errors) < 5:
                self.errors.append(ET.tostring(element, encoding="unicode")[:300])
            return
        body = element.find(f"{{{NS_CLIENT}}}body")
        if body is None or not body.text:
            return
        parsed = parse_body(body.text)
        if parsed is None:
            return
        token, seq = parsed
        track = self.tracks.get(token)
        if track is None:
            track = self.tracks[token] = Track()
        track.add(seq, now)
        waiter = self.waiters.pop(parsed, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)

    def _on_presence(self, stanza):
        element = stanza.xml
        waiter = self.presence_waiters.get(element.get("from") or "")
        if waiter is None or waiter.done():
            return
        ptype = element.get("type")
        if ptype == "error":
            waiter.set_exception(RuntimeError(
                "join error: " + ET.tostring(element, encoding="unicode")[:300]))
        elif ptype is None:
            waiter.set_result(time.monotonic())

    async def iq_set(self, to, payload, timeout):
        iq = self.xmpp.Iq()
        iq["to"] = to
        iq["type"] = "set"
        iq.append(ET.fromstring(payload) if isinstance(payload, str) else payload)
        try:
            reply = await iq.send(timeout=timeout)
        except IqError as e:
            reply = e.iq
        except IqTimeout:
            raise RuntimeError(f"{self.jid}: no reply to IQ set to {to}")
        return reply.xml

    async def register_polygate(self, nick, timeout):
        reply = await self.iq_set(POLYGATE_JID, register_form({"nick": nick}), timeout)
        if reply.get("type") != "result":
            raise RuntimeError(f"{self.jid}: registration failed: "
                               + ET.tostring(reply, encoding="unicode")[:300])

    async def adhoc_configure(self, to, overrides, timeout):
        """biboumi's 'configure' ad-hoc command on `to`: the whole form it
        offers is sent back (biboumi stores every field: a partial form
        empties the others, and without ports it silently never connects)
        with `overrides` {var: [values]}."""
        reply = await self.iq_set(
            to, f"<command xmlns='{NS_COMMANDS}' node='configure' action='execute'/>", timeout)
        command = reply.find(f"{{{NS_COMMANDS}}}command")
        form = command.find(f"{{{NS_DATA}}}x") if command is not None else None
        if reply.get("type") != "result" or form is None:
            raise RuntimeError(f"{self.jid}: configure {to}: "
                               + ET.tostring(reply, encoding="unicode")[:400])
        fields = {}
        for field in form.findall(f"{{{NS_DATA}}}field"):
            var = field.get("var")
            if not var or field.get("type") == "fixed":
                continue
            fields[var] = [v.text or "" for v in field.findall(f"{{{NS_DATA}}}value")]
        for needed in overrides:
            if needed not in fields:
                raise RuntimeError(f"{to} configure form has no {needed!r}: {sorted(fields)}")
        fields.update(overrides)
        parts = [f"<command xmlns='{NS_COMMANDS}' node='configure' "
                 f"sessionid={quoteattr(command.get('sessionid') or '')} action='complete'>"
                 f"<x xmlns='{NS_DATA}' type='submit'>"]
        for var, values in fields.items():
            parts.append(f"<field var={quoteattr(var)}>"
                         + "".join(f"<value>{escape(v)}</value>" for v in values)
                         + "</field>")
        parts.append("</x></command>")
        reply = await self.iq_set(to, "".join(parts), timeout)
        if reply.get("type") != "result":
            raise RuntimeError(f"{self.jid}: configure {to} submit: "
                               + ET.tostring(reply, encoding="unicode")[:400])
        return fields

    async def configure_biboumi(self, port, history, timeout):
        """Per-server options on 127.0.0.1@biboumi: ngircd's port, no TLS
        ports, throttle_limit = -1; and, without history, the user's global
        record_history = false."""
        await self.adhoc_configure(f"{IRC_SERVER}@{BIBOUMI_JID}",
                                   {"ports": [str(port)], "tls_ports": [],
                                    "throttle_limit": ["-1"]}, timeout)
        if not history:
            await self.adhoc_configure(BIBOUMI_JID, {"record_history": ["false"]}, timeout)

    async def read_config(self, server, timeout):
        reply = await self.iq_set(
            server, f"<command xmlns='{NS_COMMANDS}' node='configure' action='execute'/>",
            timeout)
        command = reply.find(f"{{{NS_COMMANDS}}}command")
        form = command.find(f"{{{NS_DATA}}}x")
        fields = {f.get("var"): [v.text or "" for v in f.findall(f"{{{NS_DATA}}}value")]
                  for f in form.findall(f"{{{NS_DATA}}}field") if f.get("var")}
        # leave the session open on biboumi's side as little as possible
        await self.iq_set(server, f"<command xmlns='{NS_COMMANDS}' node='configure' "
                          f"sessionid={quoteattr(command.get('sessionid') or '')} "
                          "action='cancel'/>", timeout)
        return fields

    async def join(self, room, nick, timeout):
        """Send the MUC join; return seconds until our self-presence."""
        occupant = f"{room}/{nick}"
        waiter = asyncio.get_running_loop().create_future()
        self.presence_waiters[occupant] = waiter
        started = time.monotonic()
        self.xmpp.send_raw(f"<presence xmlns='{NS_CLIENT}' to={quoteattr(occupant)}>"
                           f"<x xmlns='{NS_MUC}'/></presence>")
        try:
            arrived = await asyncio.wait_for(waiter, timeout)
        finally:
            self.presence_waiters.pop(occupant, None)
        return arrived - started

    def leave(self, room, nick):
        self.xmpp.send_raw(f"<presence xmlns='{NS_CLIENT}' to={quoteattr(room + '/' + nick)} "
                           "type='unavailable'/>")

    def send_groupchat(self, room, texts):
        self.xmpp.send_raw("".join(
            f"<message xmlns='{NS_CLIENT}' to={quoteattr(room)} type='groupchat'>"
            f"<body>{escape(t)}</body></message>" for t in texts))

    async def disconnect(self):
        if self.xmpp is not None:
            try:
                await asyncio.wait_for(self.xmpp.disconnect(wait=1.0), 5)
            except (asyncio.TimeoutError, Exception):
                self.xmpp.abort()


async def gather_limited(coros, limit):
    semaphore = asyncio.Semaphore(limit)

    async def one(coro):
        async with semaphore:
            return await coro
    return await asyncio.gather(*(one(c) for c in coros), return_exceptions=True)


def summarize_tracks(members, token, expected):
    complete = dups = disorder = received = 0
    last_t = None
    for m in members:
        track = m.tracks.get(token)
        if track is None:
            continue
        received += track.count
        dups += track.dups
        disorder += 1 if track.disorder else 0
        if track.count == expected and not track.dups and not track.disorder:
            complete += 1
        if track.last_t is not None and (last_t is None or track.last_t > last_t):
            last_t = track.last_t
    return {"members": len(members), "expected_each": expected, "received": received,
            "complete_members": complete, "dups": dups, "disordered_members": disorder,
            "last_t": last_t}


async def wait_tracks(members, token, expected, timeout, stall):
    """Until every member has `expected` of token, or no progress for `stall`
    seconds, or timeout."""
    deadline = time.monotonic() + timeout
    last_total, last_change = -1, time.monotonic()
    while True:
        total = sum(m.tracks[token].count if token in m.tracks else 0 for m in members)
        now = time.monotonic()
        if total >= expected * len(members):
            break
        if total != last_total:
            last_total, last_change = total, now
        elif now - last_change > stall or now > deadline:
            break
        await asyncio.sleep(0.05)  # polling interval of a bounded wait
    return summarize_tracks(members, token, expected)


# -- the crowd: users 1..N-1 in their own process ------------------------------

def crowd_main(conn, c2s_port, accounts):
    """Runs in a spawned process: logs in `accounts` [(jid, password)] and
    answers commands from the pipe until 'quit'."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_crowd(conn, c2s_port, accounts))


async def _crowd(conn, c2s_port, accounts):
    loop = asyncio.get_running_loop()
    pool = concurrent.futures.ThreadPoolExecutor(1)
    members = [Member(jid, pw, c2s_port) for jid, pw in accounts]

    def recv():
        while not conn.poll(1.0):
            if os.getppid() == 1:
                return ("quit",)
        return conn.recv()

    while True:
        command = await loop.run_in_executor(pool, recv)
        name, args = command[0], command[1:]
        try:
            if name == "quit":
                await asyncio.gather(*(m.disconnect() for m in members),
                                     return_exceptions=True)
                conn.send(("ok", None))
                break
            elif name == "login":
                (timeout,) = args
                started = time.monotonic()
                results = await gather_limited([m.connect(timeout) for m in members], 50)
                errors = [str(r) for r in results if isinstance(r, BaseException)]
                conn.send(("ok", {"seconds": time.monotonic() - started, "errors": errors}))
            elif name == "setup":
                kind, nicks, port, history, timeout = args
                if kind == "polygate":
                    coros = [m.register_polygate(n, timeout) for m, n in zip(members, nicks)]
                else:
                    coros = [m.configure_biboumi(port, history, timeout) for m in members]
                results = await gather_limited(coros, 50)
                errors = [str(r) for r in results if isinstance(r, BaseException)]
                conn.send(("ok", {"errors": errors[:5], "failed": len(errors)}))
            elif name == "join":
                room, nicks, timeout = args
                results = await asyncio.gather(
                    *(m.join(room, n, timeout) for m, n in zip(members, nicks)),
                    return_exceptions=True)
                times = [r for r in results if not isinstance(r, BaseException)]
                errors = [repr(r)[:300] for r in results if isinstance(r, BaseException)]
                conn.send(("ok", {"times": times, "errors": errors[:5],
                                  "failed": len(errors)}))
            elif name == "leave":
                room, nicks = args
                for m, n in zip(members, nicks):
                    m.leave(room, n)
                conn.send(("ok", None))
            elif name == "wait":
                token, expected, timeout, stall = args
                summary = await wait_tracks(members, token, expected, timeout, stall)
                summary["cpu"] = time.process_time()
                conn.send(("ok", summary))
            elif name == "cpu":
                conn.send(("ok", time.process_time()))
            elif name == "errors":
                errors = [e for m in members for e in m.errors][:5]
                conn.send(("ok", errors))
            else:
                conn.send(("error", f"unknown command {name}"))
        except Exception as e:  # report, keep serving
            conn.send(("error", f"{name}: {e!r}\n{traceback.format_exc()}"))
    pool.shutdown(wait=False)


class Crowd:
    """The main process's handle on the crowd process (None-safe for N = 1)."""

    def __init__(self, c2s_port, accounts):
        self.size = len(accounts)
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=crowd_main, args=(child, c2s_port, accounts),
                                name="irc-bench-crowd", daemon=True)
        self.proc.start()
        child.close()
        self.pool = concurrent.futures.ThreadPoolExecutor(1)

    async def call(self, *command, timeout):
        self.conn.send(command)

        def recv():
            if not self.conn.poll(timeout):
                raise TimeoutError(f"crowd did not answer {command[0]} within {timeout:.0f} s")
            return self.conn.recv()
        status, value = await asyncio.get_running_loop().run_in_executor(self.pool, recv)
        if status != "ok":
            raise RuntimeError(f"crowd: {value}")
        return value

    def stop(self):
        if self.proc is None:
            return
        try:
            if self.proc.is_alive():
                self.conn.send(("quit",))
                if self.conn.poll(15):
                    self.conn.recv()
        except (OSError, EOFError):
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.proc = None
        self.pool.shutdown(wait=False)


# -- the IRC side: bob ----------------------------------------------------------

class Bob:
    """A raw IRC client on the asyncio loop: PRIVMSGs to the channel are
    tracked by token like the XMPP users' messages; JOINs are counted."""

    def __init__(self, port, nick):
        self.port = port
        self.nick = nick
        self.channel = None
        self.tracks = {}
        self.waiters = {}
        self.joined = set()
        self.numerics = {}
        self.writer = None
        self.task = None
        self.closed = False
        self.line_waiters = []

    async def connect(self, timeout=10):
        reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20), timeout)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.task = asyncio.create_task(self._read(reader))
        self.send([f"NICK {self.nick}", f"USER {self.nick} 0 * :bench"])
        await self.wait_line(lambda cmd, params: cmd == "001", timeout, "001")

    def send(self, lines):
        self.writer.write(b"".join(l.encode() + b"\r\n" for l in lines))

    async def wait_line(self, predicate, timeout, what):
        future = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self.line_waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise RuntimeError(f"IRC {self.nick}: no {what} within {timeout} s")
        finally:
            if entry in self.line_waiters:
                self.line_waiters.remove(entry)

    async def join(self, channel, timeout=10):
        self.channel = channel.lower()
        self.send([f"JOIN {channel}"])
        await self.wait_line(lambda cmd, params: cmd == "366", timeout, f"366 for {channel}")

    async def _read(self, reader):
        while True:
            try:
                raw = await reader.readline()
            except (OSError, ValueError, asyncio.LimitOverrunError):
                raw = b""
            if not raw:
                self.closed = True
                return
            now = time.monotonic()
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            prefix = ""
            if line.startswith(":"):
                prefix, _, line = line[1:].partition(" ")
            text = None
            if " :" in line:
                line, _, text = line.partition(" :")
            params = line.split()
            if not params:
                continue
            command = params[0].upper()
            params = params[1:] + ([text] if text is not None else [])
            nick = prefix.split("!", 1)[0]
            if command == "PING":
                self.send([f"PONG :{params[-1] if params else ''}"])
                continue
            if command == "PRIVMSG" and len(params) == 2 and params[0].lower() == self.channel:
                parsed = parse_body(params[1])
                if parsed is not None:
                    track = self.tracks.get(parsed[0])
                    if track is None:
                        track = self.tracks[parsed[0]] = Track()
                    track.add(parsed[1], now)
                    waiter = self.waiters.pop(parsed, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(now)
                continue
            if command == "JOIN" and nick.lower() != self.nick.lower():
                self.joined.add(nick.lower())
            elif command in ("PART", "QUIT"):
                self.joined.discard(nick.lower())
            if command.isdigit():
                self.numerics[command] = self.numerics.get(command, 0) + 1
            for predicate, future in list(self.line_waiters):
                if not future.done() and predicate(command, params):
                    future.set_result((command, params))

    async def close(self):
        if self.writer is not None:
            try:
                self.send(["QUIT :bench done"])
                await asyncio.wait_for(self.writer.drain(), 2)
            except (OSError, asyncio.TimeoutError, ConnectionError):
                pass
            self.writer.close()
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


# -- one gateway, N users -----------------------------------------------------------

class Sampler:
    """CPU seconds of the gateway's processes (workers come and go: each pid's
    latest value is kept) and of Prosody/ngircd."""

    def __init__(self, gateway, others):
        self.gateway = gateway
        self.others = others

    def snapshot(self):
        gw = {pid: proc_cpu_seconds(pid) for pid in self.gateway.pids()}
        other = {name: proc_cpu_seconds(pid) for name, pid in self.others.items()}
        return gw, other, time.process_time()

    @staticmethod
    def delta(a, b):
        gw = sum(b[0].get(p, 0) - a[0].get(p, 0) for p in b[0])
        other = {k: b[1][k] - a[1][k] for k in b[1]}
        return gw, other, b[2] - a[2]


def memory(gateway):
    pids = gateway.pids()
    return {"rss": sum(proc_status_kib(p, "VmRSS") for p in pids),
            "main_rss": proc_status_kib(pids[0], "VmRSS") if pids else 0,
            "pss": sum(proc_pss_kib(p) for p in pids),
            "processes": len(pids)}


async def run_gateway(env, gateway, n, alice, crowd, tag):
    args = env.args
    result = {"gateway": gateway.label, "users": n, "problems": []}
    nicks = [f"{tag}u{i}" for i in range(n)]
    channel = f"#bench{tag}"
    room = f"{channel}%{IRC_SERVER}@{gateway.jid}"
    burst = max(1, min(args.burst, args.fanout_budget // max(1, n)))
    result["burst_lines"] = burst
    others = {"prosody": env.prosody.proc.pid, "ngircd": env.ngircd.proc.pid}
    sampler = Sampler(gateway, others)
    timeout = args.timeout

    log(f"{gateway.label} N={n}: starting")
    await asyncio.to_thread(gateway.start, env.checker)
    env.running_gateway = gateway
    await asyncio.sleep(1.0)  # let the fresh process settle before the idle sample
    result["mem_idle"] = memory(gateway)

    # -- setup: registration (polygate) or per-server configure (biboumi)
    started = time.monotonic()
    history = getattr(gateway, "history", None)
    if gateway.kind == "polygate":
        coro = alice.register_polygate(nicks[0], timeout)
    else:
        coro = alice.configure_biboumi(env.ngircd.port, history, timeout)
    crowd_setup = (asyncio.ensure_future(
        crowd.call("setup", gateway.kind, nicks[1:], env.ngircd.port, history, timeout,
                   timeout=timeout + 60 + n * 0.2)) if crowd else None)
    await coro
    if crowd_setup is not None:
        setup = await crowd_setup
        if setup["failed"]:
            raise RuntimeError(f"setup failed for {setup['failed']} users: {setup['errors']}")
    if gateway.kind == "biboumi":
        check = await alice.read_config(f"{IRC_SERVER}@{BIBOUMI_JID}", timeout)
        if check.get("ports") != [str(env.ngircd.port)] or check.get("throttle_limit") != ["-1"]:
            raise RuntimeError(f"biboumi did not keep the configuration: {check}")
        if not history:
            check = await alice.read_config(BIBOUMI_JID, timeout)
            if check.get("record_history") not in (["false"], ["0"]):
                raise RuntimeError(f"biboumi did not keep record_history: {check}")
    result["setup_s"] = time.monotonic() - started
    log(f"{gateway.label} N={n}: setup done in {result['setup_s']:.1f} s")

    # -- bob in the channel first (chanop), then all N users join at once
    bob = Bob(env.ngircd.port, f"bob{tag}")
    env.bob = bob
    await bob.connect()
    await bob.join(channel)
    join_timeout = args.join_timeout + n * 0.2
    started = time.monotonic()
    alice_join = asyncio.ensure_future(alice.join(room, nicks[0], join_timeout))
    crowd_join = (asyncio.ensure_future(
        crowd.call("join", room, nicks[1:], join_timeout, timeout=join_timeout + 30))
        if crowd else None)
    join_times, join_failed, join_errors = [], 0, []
    alice_joined = False
    try:
        join_times.append(await alice_join)
        alice_joined = True
    except Exception as e:
        join_failed += 1
        join_errors.append(repr(e)[:300])
    if crowd_join is not None:
        joined = await crowd_join
        join_times += joined["times"]
        join_failed += joined["failed"]
        join_errors += joined["errors"]
    result["join_wall_s"] = time.monotonic() - started
    result["join_ms"] = {"p50": percentile(join_times, 0.5) * 1000 if join_times else None,
                         "p99": percentile(join_times, 0.99) * 1000 if join_times else None,
                         "max": max(join_times) * 1000 if join_times else None,
                         "ok": len(join_times), "failed": join_failed}
    if join_failed:
        result["problems"].append(f"{join_failed} of {n} joins failed: {join_errors[:2]}")
    # IRC sees every gateway user in the channel
    try:
        await wait_until(lambda: len(bob.joined) >= n - join_failed, 30 + n * 0.1)
    except TimeoutError:
        result["problems"].append(f"bob saw only {len(bob.joined)} of {n} JOINs")
    result["irc_joins_seen"] = len(bob.joined)
    log(f"{gateway.label} N={n}: {len(join_times)} joined in {result['join_wall_s']:.1f} s "
        f"(p50 {result['join_ms']['p50']} ms), bob saw {len(bob.joined)} JOINs")
    if not alice_joined:
        raise RuntimeError(f"alice (the measured user) did not join: {join_errors[:1]}")

    members_expected = len(join_times)

    async def drain(token, expected, what):
        """Wait until alice and the crowd have token's messages; a summary."""
        budget = min(args.burst_timeout, max(30.0, expected * n / 100.0))
        summary_alice = await wait_tracks([alice], token, expected, budget, args.stall)
        summary = {"alice": summary_alice}
        if crowd:
            summary["crowd"] = await crowd.call("wait", token, expected, budget, args.stall,
                                                timeout=budget + 30)
        return summary

    # -- one IRC line to everyone (fan-out), a few times
    fanouts = []
    for k in range(args.fanout_repeats):
        token = f"F{tag}x{k}"
        sent = time.monotonic()
        bob.send([f"PRIVMSG {channel} :{body_line(token, 0)}"])
        summary = await drain(token, 1, "fan-out")
        lasts = [summary["alice"]["last_t"]]
        complete = summary["alice"]["complete_members"]
        if crowd:
            lasts.append(summary["crowd"]["last_t"])
            complete += summary["crowd"]["complete_members"]
        if None in lasts or complete < members_expected:
            result["problems"].append(f"fan-out line {k}: {complete} of {members_expected} "
                                      "users got it")
        else:
            fanouts.append((max(lasts) - sent) * 1000)
    result["fanout_ms"] = statistics.median(fanouts) if fanouts else None
    result["mem_joined"] = memory(gateway)
    result["workers"] = gateway.worker_count()

    # -- sequential latency, both directions
    for direction in ("x2i", "i2x"):
        token = f"{'L' if direction == 'x2i' else 'M'}{tag}"
        samples, lost = [], 0
        phase_end = time.monotonic() + args.latency_seconds
        sent_count = 0
        for seq in range(args.latency):
            if time.monotonic() > phase_end:
                break  # the time budget is spent: fewer samples
            sent_count += 1
            future = asyncio.get_running_loop().create_future()
            text = body_line(token, seq)
            if direction == "x2i":
                bob.waiters[(token, seq)] = future
                sent = time.monotonic()
                alice.send_groupchat(room, [text])
            else:
                alice.waiters[(token, seq)] = future
                sent = time.monotonic()
                bob.send([f"PRIVMSG {channel} :{text}"])
            try:
                arrived = await asyncio.wait_for(future, args.latency_timeout)
                samples.append((arrived - sent) * 1000)
            except asyncio.TimeoutError:
                lost += 1
                if lost >= 5:
                    result["problems"].append(f"latency {direction}: 5 messages lost, stopped")
                    break
        result[f"lat_{direction}"] = {
            "p50": percentile(samples, 0.5), "p99": percentile(samples, 0.99),
            "max": max(samples) if samples else None, "n": len(samples), "lost": lost}
        summary = await drain(token, sent_count, "latency fan-out")
        result[f"lat_{direction}_fanout"] = summary
        log(f"{gateway.label} N={n}: latency {direction} p50 "
            f"{result[f'lat_{direction}']['p50']} ms ({len(samples)} samples, {lost} lost)")

    # -- bursts
    for direction in ("x2i", "i2x"):
        token = f"{'B' if direction == 'x2i' else 'C'}{tag}"
        texts = [body_line(token, seq) for seq in range(burst)]
        crowd_cpu = await crowd.call("cpu", timeout=30) if crowd else 0.0
        profiler = getattr(gateway, "callgrind", None)
        if profiler:
            await asyncio.to_thread(profiler.zero, gateway.pids())
        before = sampler.snapshot()
        sent = time.monotonic()
        if direction == "x2i":
            alice.send_groupchat(room, texts)
            receiver = bob
        else:
            bob.send([f"PRIVMSG {channel} :{t}" for t in texts])
            receiver = alice
        budget = min(args.burst_timeout, max(60.0, burst * n / 100.0))
        await wait_tracks([receiver], token, burst, budget, args.stall)
        early = (receiver.tracks.get(token) or Track()).count
        # everyone else (and alice's own reflections when she sent it)
        fan = await drain(token, burst, "burst fan-out")
        after = sampler.snapshot()
        if receiver is bob and (bob.tracks.get(token) or Track()).count < burst:
            # bob was given up on above; the drain gave him more time too
            await wait_tracks([bob], token, burst, 5, 5)
        track = receiver.tracks.get(token) or Track()
        elapsed = (track.last_t - sent) if track.last_t is not None else None
        entry = {
            "received": track.count, "dups": track.dups, "disorder": track.disorder,
            "in_order": track.count == burst and not track.disorder and not track.dups,
            "seconds": elapsed,
            "rate": (track.count / elapsed) if elapsed else None,
            "first_ms": (track.first_t - sent) * 1000 if track.first_t else None,
            "stalled_at": early if early < track.count else None,
        }
        if entry["stalled_at"] is not None:
            result["problems"].append(
                f"burst {direction}: the receiver had {early} of {burst} when nothing more "
                f"came for {args.stall:.0f} s; the rest arrived later")
        gw_cpu, other_cpu, own_cpu = Sampler.delta(before, after)
        if profiler:
            daemon_ir, workers_ir = await asyncio.to_thread(
                profiler.dump, gateway.pids(), gateway.daemon.pid)
            entry["instructions_per_line"] = {"daemon": daemon_ir / burst,
                                              "workers": workers_ir / burst}
        entry["fanout"] = fan
        lasts = [s["last_t"] for s in fan.values() if s["last_t"] is not None]
        entry["fanout_seconds"] = (max(lasts) - sent) if lasts else None
        entry["gateway_cpu_s"] = gw_cpu
        entry["other_cpu_s"] = other_cpu
        entry["bench_cpu_s"] = own_cpu
        entry["crowd_cpu_s"] = (fan["crowd"]["cpu"] - crowd_cpu) if crowd else 0.0
        entry["wall_s"] = time.monotonic() - sent
        result[f"burst_{direction}"] = entry
        if not entry["in_order"]:
            result["problems"].append(
                f"burst {direction}: {track.count}/{burst} received at the receiver, "
                f"{track.dups} dups, {track.disorder} out of order")
        crowd_fan = fan.get("crowd")
        if crowd_fan and crowd_fan["complete_members"] < crowd_fan["members"]:
            result["problems"].append(
                f"burst {direction} fan-out: {crowd_fan['complete_members']} of "
                f"{crowd_fan['members']} other users got all {burst} in order "
                f"({crowd_fan['received']} of {burst * crowd_fan['members']} received, "
                f"{crowd_fan['dups']} dups, {crowd_fan['disordered_members']} disordered)")
        log(f"{gateway.label} N={n}: burst {direction} {track.count}/{burst} in "
            f"{elapsed if elapsed is None else round(elapsed, 2)} s, everyone after "
            f"{entry['fanout_seconds'] if entry['fanout_seconds'] is None else round(entry['fanout_seconds'], 2)} s")
    result["mem_after"] = memory(gateway)
    result["workers_after"] = gateway.worker_count()
    if alice.errors:
        result["problems"].append(f"alice got error messages: {alice.errors[:2]}")
        alice.errors.clear()
    if crowd:
        errors = await crowd.call("errors", timeout=30)
        if errors:
            result["problems"].append(f"crowd got error messages: {errors[:2]}")

    # -- leave, stop
    alice.leave(room, nicks[0])
    if crowd:
        await crowd.call("leave", room, nicks[1:], timeout=30)
    await bob.close()
    env.bob = None
    return result


async def wait_until(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.1)  # polling interval of a bounded wait


async def stop_gateway(env, gateway, result):
    problems = await asyncio.to_thread(gateway.stop)
    env.running_gateway = None
    result["problems"] += problems
    result["problems"] += [f"log: {l}" for l in gateway.crash_report()[:5]]


# -- orchestration -------------------------------------------------------------------

class Env:
    pass


async def run_all(env):
    args = env.args
    results = []
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, me.cancel)
    for n in args.users:
        accounts = [(jid, env.prosody.passwords[jid]) for jid in env.jids[:n]]
        alice = Member(accounts[0][0], accounts[0][1], env.prosody.c2s_port)
        await alice.connect(args.timeout)
        env.alice = alice
        crowd = None
        if n > 1:
            crowd = Crowd(env.prosody.c2s_port, accounts[1:])
            env.crowd = crowd
            login = await crowd.call("login", args.timeout + n * 0.1,
                                     timeout=args.timeout + n * 0.2 + 30)
            if login["errors"]:
                raise RuntimeError(f"crowd login failed: {login['errors'][:3]}")
            log(f"N={n}: {n - 1} crowd users logged in in {login['seconds']:.1f} s")
        gateways = []
        for upw in args.users_per_worker:
            # the baseline right before the build under test, so that both
            # see the same machine load
            if args.baseline:
                gateways.append(lambda upw=upw, n=n: PolygateGateway(
                    args.baseline, args.baseline_worker,
                    os.path.join(env.workdir, f"baseline-{upw}-{n}"),
                    env.prosody, env.ngircd.port, upw, baseline=True,
                    callgrind=args.callgrind))
            for mode in args.polygate_modes:
                gateways.append(lambda upw=upw, n=n, mode=mode: PolygateGateway(
                    args.binary, args.worker,
                    os.path.join(env.workdir, f"polygate-{mode}-{upw}-{n}"),
                    env.prosody, env.ngircd.port, upw, history=(mode == "history"),
                    callgrind=args.callgrind))
        for mode in ([] if args.no_biboumi else args.biboumi_modes):
            gateways.append(lambda n=n, mode=mode: BiboumiGateway(
                os.path.join(env.workdir, f"biboumi-{mode}-{n}"), env.prosody,
                history=(mode == "history")))
        for make in gateways:
            gateway = make()
            tag = f"{gateway.short}n{n}"
            result = {"gateway": gateway.label, "users": n, "problems": []}
            try:
                result = await run_gateway(env, gateway, n, alice, crowd, tag)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                result["problems"].append(f"ABORTED: {e!r}"[:600])
                result["problems"].append("gateway log tail: "
                                          + " | ".join(gateway.tail().splitlines()[-8:]))
                log(f"{gateway.label} N={n}: aborted: {e!r}")
                traceback.print_exc()
                if env.bob is not None:
                    await env.bob.close()
                    env.bob = None
            finally:
                if env.running_gateway is not None:
                    await stop_gateway(env, gateway, result)
            results.append(result)
            for p in result["problems"]:
                log(f"  problem: {p}")
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(results, f, indent=1, default=str)
        if crowd:
            await asyncio.to_thread(crowd.stop)
            env.crowd = None
        await alice.disconnect()
        env.alice = None
    return results


# -- the table -------------------------------------------------------------------

def fmt(value, spec="{:.1f}"):
    return "-" if value is None else spec.format(value)


def table(results, args):
    labels = []
    for r in results:
        if r["gateway"] not in labels:
            labels.append(r["gateway"])
    rows = []

    def add(name, getter):
        rows.append((name, getter))

    def mem(r, key, field, per_user=False, delta=False):
        m = r.get(key)
        if not m:
            return "-"
        value = m[field]
        if delta:
            value -= r["mem_idle"][field]
        if per_user:
            value /= r["users"]
        return f"{value / 1024:.2f}" if per_user else f"{value / 1024:.1f}"

    def lat(key):
        def get(r):
            v = r.get(key)
            if not v:
                return "-"
            s = f"{fmt(v['p50'], '{:.2f}')} / {fmt(v['p99'], '{:.2f}')} (n={v['n']})"
            return s + (f" ({v['lost']} lost)" if v["lost"] else "")
        return get

    def burst(key):
        def get(r):
            v = r.get(key)
            if not v:
                return "-"
            state = "all, in order" if v["in_order"] else (
                f"{v['received']}/{r['burst_lines']}, {v['dups']} dup, {v['disorder']} disord.")
            return f"{fmt(v['rate'], '{:.0f}')} msg/s ({state})"
        return get

    def fanout(key):
        def get(r):
            v = r.get(key)
            if not v or v.get("fanout_seconds") is None:
                return "-"
            crowd = v["fanout"].get("crowd")
            ok = "" if not crowd else (
                "" if crowd["complete_members"] == crowd["members"] else
                f" ({crowd['complete_members']}/{crowd['members']} complete)")
            return f"{v['fanout_seconds']:.2f} s{ok}"
        return get

    def cpu(key):
        def get(r):
            v = r.get(key)
            if not v or not r.get("burst_lines"):
                return "-"
            return f"{1000 * v['gateway_cpu_s'] / r['burst_lines']:.2f}"
        return get

    add("burst length B (lines)", lambda r: str(r.get("burst_lines", "-")))
    add("join, all at once: p50 / p99 ms", lambda r: "-" if not r.get("join_ms") or
        r["join_ms"]["p50"] is None else
        f"{r['join_ms']['p50']:.0f} / {r['join_ms']['p99']:.0f}"
        + (f" ({r['join_ms']['failed']} failed)" if r["join_ms"]["failed"] else ""))
    add("join, all N done (wall s)", lambda r: fmt(r.get("join_wall_s"), "{:.2f}"))
    add("1 IRC line -> all N users (ms)", lambda r: fmt(r.get("fanout_ms"), "{:.0f}"))
    add("latency XMPP->IRC p50 / p99 ms", lat("lat_x2i"))
    add("latency IRC->XMPP p50 / p99 ms", lat("lat_i2x"))
    add("burst XMPP->IRC (at bob)", burst("burst_x2i"))
    add("burst IRC->XMPP (at alice)", burst("burst_i2x"))
    add("  XMPP->IRC: all N users done", fanout("burst_x2i"))
    add("  IRC->XMPP: all N users done", fanout("burst_i2x"))
    add("  gateway CPU ms/line XMPP->IRC", cpu("burst_x2i"))
    add("  gateway CPU ms/line IRC->XMPP", cpu("burst_i2x"))
    def instructions(key):
        def get(r):
            v = (r.get(key) or {}).get("instructions_per_line")
            if not v:
                return "-"
            return f"{v['daemon'] / 1000:.1f}k / {v['workers'] / 1000:.1f}k"
        return get
    if any((r.get("burst_x2i") or {}).get("instructions_per_line") for r in results):
        add("  instructions/line daemon / workers, XMPP->IRC", instructions("burst_x2i"))
        add("  instructions/line daemon / workers, IRC->XMPP", instructions("burst_i2x"))
    def others(key):
        def get(r):
            v = r.get(key)
            if not v:
                return "-"
            return (f"{v['other_cpu_s']['prosody']:.1f} / {v['bench_cpu_s'] + v['crowd_cpu_s']:.1f}"
                    f" / {v['wall_s']:.1f}")
        return get

    add("  Prosody / clients CPU s / wall s, XMPP->IRC", others("burst_x2i"))
    add("  Prosody / clients CPU s / wall s, IRC->XMPP", others("burst_i2x"))
    add("processes (daemon + workers)", lambda r: str(r["mem_joined"]["processes"])
        if r.get("mem_joined") else "-")
    add("RSS MiB idle", lambda r: mem(r, "mem_idle", "rss"))
    add("RSS MiB joined", lambda r: mem(r, "mem_joined", "rss"))
    add("RSS MiB after bursts", lambda r: mem(r, "mem_after", "rss"))
    add("  of which daemon (polygate) / biboumi",
        lambda r: mem(r, "mem_after", "main_rss") if r["mem_after"].get("main_rss") else "-")
    add("RSS MiB per user (after bursts / N)",
        lambda r: mem(r, "mem_after", "rss", per_user=True))
    add("RSS MiB per user ((joined - idle) / N)",
        lambda r: mem(r, "mem_joined", "rss", per_user=True, delta=True))
    add("PSS MiB after bursts", lambda r: mem(r, "mem_after", "pss"))
    add("PSS MiB per user (after bursts / N)",
        lambda r: mem(r, "mem_after", "pss", per_user=True))

    out = ["| metric | " + " | ".join(labels) + " |",
           "|---|" + "---|" * len(labels)]
    for n in args.users:
        by_label = {r["gateway"]: r for r in results if r["users"] == n}
        if not by_label:
            continue
        out.append(f"| **N = {n}** |" + " |" * len(labels))
        for name, getter in rows:
            cells = []
            for label in labels:
                r = by_label.get(label)
                try:
                    cells.append(getter(r) if r else "-")
                except (KeyError, TypeError, ZeroDivisionError):
                    cells.append("-")
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


# -- main ---------------------------------------------------------------------------

def default_binary():
    if os.environ.get("POLYGATE_BIN"):
        return os.environ["POLYGATE_BIN"]
    for build in ("build-bench", "build-demo", "build"):
        path = os.path.join(ROOT, build, "src", "polygate")
        if os.access(path, os.X_OK):
            return path
    return None


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int_list, default=[1, 100, 500],
                        help="comma-separated N values (default 1,100,500)")
    parser.add_argument("--users-per-worker", type=int_list, default=[1, 50],
                        help="Polygate users_per_worker values (default 1,50)")
    parser.add_argument("--burst", type=int, default=2000, help="lines per burst")
    parser.add_argument("--fanout-budget", type=int, default=400000,
                        help="cap on burst x N (stanzas a burst fans out to)")
    parser.add_argument("--latency", type=int, default=200,
                        help="sequential messages per direction")
    parser.add_argument("--latency-seconds", type=float, default=40.0,
                        help="time budget per direction (fewer samples when slow)")
    parser.add_argument("--latency-timeout", type=float, default=10.0)
    parser.add_argument("--fanout-repeats", type=int, default=5)
    parser.add_argument("--stall", type=float, default=15.0,
                        help="give up waiting for a burst after this long without progress")
    parser.add_argument("--timeout", type=float, default=30.0, help="per login/IQ")
    parser.add_argument("--join-timeout", type=float, default=60.0,
                        help="join deadline (plus 0.2 s per user)")
    parser.add_argument("--max-minutes", type=float, default=80.0,
                        help="the whole run is cancelled after this")
    parser.add_argument("--no-biboumi", action="store_true")
    parser.add_argument("--prosody-nagle", choices=("on", "off"), default="off",
                        help="Nagle's algorithm on Prosody's sockets (network_settings); "
                        "Prosody's own default is on, the testbed's off")
    parser.add_argument("--biboumi-modes", type=lambda t: [m for m in t.split(",") if m],
                        default=["history", "nohistory"],
                        help="biboumi runs: 'history' (as installed: every message goes "
                        "into its SQLite history, per user) and/or 'nohistory' "
                        "(record_history = false); default both")
    parser.add_argument("--polygate-modes", type=lambda t: [m for m in t.split(",") if m],
                        default=["history"],
                        help="polygate runs: 'history' (rooms archived, the default "
                        "config) and/or 'nohistory' (history = false); default history")
    parser.add_argument("--burst-timeout", type=float, default=600.0,
                        help="cap on the wait for one burst (a stall ends it sooner)")
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--baseline", default=None, metavar="BINARY",
                        help="also run this older polygate build (its worker beside it), "
                        "each users_per_worker column right before the one under test")
    parser.add_argument("--worker", default=None,
                        help="polygate-purple (default: next to the daemon's build)")
    parser.add_argument("--json", default=None, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--callgrind", action="store_true",
                        help="run each Polygate daemon and worker under valgrind's callgrind "
                        "and report instructions per burst line: the same on a busy machine, "
                        "where rates are not (slow: use --users 1 and a --burst of ~500)")
    args = parser.parse_args()
    if not args.binary:
        sys.exit("no polygate binary: build build-bench (see --help) or pass --binary")
    args.binary = os.path.abspath(args.binary)
    args.worker = os.path.abspath(args.worker or os.path.join(
        os.path.dirname(args.binary), "..", "backends", "purple", WORKER_NAME))
    args.baseline_worker = None
    if args.baseline:
        args.baseline = os.path.abspath(args.baseline)
        args.baseline_worker = os.path.abspath(os.path.join(
            os.path.dirname(args.baseline), "..", "backends", "purple", WORKER_NAME))
    for path in (args.binary, args.worker, args.baseline, args.baseline_worker):
        if path is None:
            continue
        if not os.access(path, os.X_OK):
            sys.exit(f"not executable: {path}")
        with open(path, "rb") as f:
            if b"__asan_init" in f.read():
                log(f"warning: {path} is built with ASan: numbers are not representative")
    if not args.no_biboumi and not os.access("/usr/bin/biboumi", os.X_OK):
        sys.exit("biboumi is not installed (apt-get install biboumi) or pass --no-biboumi")
    for mode in args.biboumi_modes + args.polygate_modes:
        if mode not in ("history", "nohistory"):
            sys.exit(f"--biboumi-modes/--polygate-modes: unknown mode {mode!r}")
    args.users = sorted(set(args.users))
    if not args.users or args.users[0] < 1:
        sys.exit("--users: N >= 1")

    # a polygate with users_per_worker = 1 holds two fds per worker, Prosody
    # and the crowd one socket per user: raise the soft limit for all children
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    env = Env()
    env.args = args
    env.workdir = tempfile.mkdtemp(prefix="polygate-irc-bench-")
    env.running_gateway = env.bob = env.alice = env.crowd = None
    env.checker = env.prosody = env.ngircd = None
    results = []
    started = time.monotonic()
    try:
        util.selfsigned_cert(os.path.join(env.workdir, "certs"))
        env.prosody = Prosody(os.path.join(env.workdir, "prosody"),
                              os.path.join(env.workdir, "certs"),
                              components=(POLYGATE_JID, BIBOUMI_JID),
                              nagle=args.prosody_nagle == "on")
        env.prosody.create_user("harness")
        t = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            env.jids = list(pool.map(env.prosody.create_user,
                                     [f"bench{i}" for i in range(max(args.users))]))
        log(f"{len(env.jids)} accounts created in {time.monotonic() - t:.1f} s")
        env.prosody.start()
        from harness.ngircd import Ngircd
        env.ngircd = Ngircd(os.path.join(env.workdir, "ngircd"))
        env.ngircd.start()
        from harness.client import XmppClient
        env.checker = XmppClient(f"harness@{DOMAIN}", env.prosody.passwords[f"harness@{DOMAIN}"],
                                 port=env.prosody.c2s_port).connect()
        log(f"Prosody c2s {env.prosody.c2s_port}, components {env.prosody.component_port}; "
            f"ngircd {env.ngircd.port}; workdir {env.workdir}")

        async def bounded():
            try:
                return await asyncio.wait_for(run_all(env), args.max_minutes * 60)
            finally:
                # on error or cancel: whatever is still up in this loop
                if env.bob is not None:
                    await env.bob.close()
                if env.alice is not None:
                    await env.alice.disconnect()
        try:
            results = asyncio.run(bounded())
        except (asyncio.CancelledError, asyncio.TimeoutError, KeyboardInterrupt) as e:
            log(f"run cut short: {type(e).__name__}")
        env.results = results
    finally:
        if env.crowd is not None:
            env.crowd.stop()
        if env.running_gateway is not None:
            for p in env.running_gateway.stop():
                log(f"cleanup: {p}")
        if env.checker is not None:
            env.checker.disconnect()
        for server in (env.ngircd, env.prosody):
            if server is not None:
                try:
                    server.stop()
                except util.HarnessError as e:
                    log(f"cleanup: {e}")
        if args.keep:
            log(f"kept: {env.workdir}")
        else:
            shutil.rmtree(env.workdir, ignore_errors=True)

    if not results:
        sys.exit("no results")
    print()
    print(f"# Polygate vs biboumi, IRC, {os.cpu_count()} CPUs, "
          f"{time.monotonic() - started:.0f} s run; polygate {args.binary}")
    print(f"# burst = min({args.burst}, {args.fanout_budget} / N) lines in one write; "
          f"latency = up to {args.latency} sequential messages or {args.latency_seconds:.0f} s "
          "per direction (n = samples taken); throttles off")
    print()
    print(table(results, args))
    problems = [(r["gateway"], r["users"], p) for r in results for p in r["problems"]]
    if problems:
        print()
        print("Problems seen:")
        for label, n, p in problems:
            print(f"- {label}, N={n}: {p}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)


if __name__ == "__main__":
    main()
