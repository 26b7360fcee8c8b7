#!/usr/bin/python3
"""Through one community bridge (issue 11), on loopback: Prosody's own MUC
(mod_muc_mam), ngircd, polygate with one [bridge] and no IRC throttle.

    /usr/bin/python3 contrib/bench/bridge_bench.py [--lines 2000] [--crowd 200]
        [--crowd-lines N] [--no-mam]

Measures:
  - IRC -> room: one raw IRC client writes --lines lines in one burst; the
    time until a room occupant has them all; lines/s; the daemon's CPU per
    line (utime+stime from /proc, over the burst);
  - room -> IRC: one occupant writes --lines messages in one write; the time
    until the IRC client has every "<nick> text" line; lines/s; CPU/line;
  - a crowd: --crowd raw IRC clients join the channel; the time until the
    occupant sees every puppet, and the daemon's RSS growth per puppet;
  - the two bursts again with the crowd in the room (--crowd-lines lines
    each way, 0: skip): every room message then reaches each puppet too
    (the room sends one copy per occupant JID, and the daemon drops the
    puppets' copies), so both ways cost more per line as the crowd grows.
Each burst also prints the CPU per line of the bridge's worker
(polygate-purple), Prosody and ngircd, to tell who limits the rate.
"""

import argparse
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import tempfile
import time

import benchlib  # noqa: F401 (sys.path)
from harness import util
from harness.bridge import MUC_COMPONENT, BridgePolygate, Occupant, bridge_jid, unbroken
from harness.client import XmppClient
from harness.irc import IrcClient
from harness.ircgw import IRC, join_room, messages, presences, statuses, transports_for
from harness.ngircd import Ngircd
from harness.prosody import DOMAIN, Prosody

BUILDS = ("build-bench", "build-demo", "build-test")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait(condition, timeout, what):
    util.wait_for(condition, timeout, what)


class Crowd:
    """@count raw IRC clients in @channel, read by one thread that answers
    PING and throws the rest away: the channel's lines fan out to every
    member, and one parsing thread per client would take the CPU the
    gateway is measured on."""

    def __init__(self, port, channel, count, prefix="crowd"):
        self.selector = selectors.DefaultSelector()
        self.socks = []
        self.buffers = {}
        self.welcomed = 0
        self.channel = channel
        self.stopping = False
        for i in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=20)
            sock.setblocking(False)
            sock.sendall(f"NICK {prefix}{i}\r\nUSER {prefix}{i} 0 * :crowd\r\n".encode())
            self.socks.append(sock)
            self.buffers[sock] = b""
            self.selector.register(sock, selectors.EVENT_READ)
        self.thread = threading.Thread(target=self._run, name="crowd", daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            for key, _ in self.selector.select(0.2):
                sock = key.fileobj
                try:
                    data = sock.recv(262144)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.selector.unregister(sock)
                    continue
                data = self.buffers[sock] + data
                *complete, self.buffers[sock] = data.split(b"\n")
                for raw in complete:
                    words = raw.split(b" ", 2)
                    if words[0] == b"PING":
                        try:
                            sock.sendall(b"PONG " + b" ".join(words[1:]).rstrip() + b"\r\n")
                        except OSError:
                            pass  # the server gave up on it: it parts, the rest go on
                    elif len(words) > 1 and words[1] == b"001":
                        # registered: into the channel (a JOIN sooner is refused)
                        sock.sendall(f"JOIN {self.channel}\r\n".encode())
                        self.welcomed += 1

    def close(self):
        self.stopping = True
        self.thread.join(5)
        for sock in self.socks:
            sock.close()


def cpu_of(pids):
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=benchlib.default_binary(BUILDS))
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--crowd", type=int, default=200)
    parser.add_argument("--crowd-lines", type=int, default=None,
                        help="lines each way with the crowd in the room (default --lines; "
                             "0: none)")
    parser.add_argument("--perf", metavar="FILE",
                        help="perf record (DWARF call graphs) the daemon into FILE during the crowd's bursts")
    parser.add_argument("--no-mam", action="store_true",
                        help="the room without mod_muc_mam (what the archive costs Prosody)")
    parser.add_argument("--quiet-puppets", action="store_true",
                        help="load contrib/prosody/mod_polygate_quiet_puppets.lua on the MUC "
                             "(the puppets get no room traffic)")
    args = parser.parse_args()
    args.binary = benchlib.binary_or_exit(args.binary)
    if args.crowd_lines is None:
        args.crowd_lines = args.lines
    worker = os.path.join(os.path.dirname(args.binary), "..", "backends", "purple",
                          "polygate-purple")
    top = tempfile.mkdtemp(prefix="bridge-bench-")
    certs = os.path.join(top, "certs")
    os.makedirs(certs)
    util.selfsigned_cert(certs, DOMAIN)
    muc_lines = list(MUC_COMPONENT[:1] if args.no_mam else MUC_COMPONENT)
    plugin_paths = ()
    if args.quiet_puppets:
        muc_lines = [muc_lines[0], '  modules_enabled = { "polygate_quiet_puppets"%s }'
                     % ("" if args.no_mam else ', "muc_mam"'),
                     f'  polygate_puppet_hosts = {{ "{IRC}" }}'] + muc_lines[2:]
        plugin_paths = (os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "prosody"),)
    prosody = Prosody(os.path.join(top, "prosody"), certs, components=(IRC, "ircnet.localhost"),
                      plugin_paths=plugin_paths, extra_lines=muc_lines)
    prosody.create_user("harness")
    prosody.start()
    ngircd = Ngircd(os.path.join(top, "ngircd")).start()
    room = f"bench@{MUC_COMPONENT[0].split(chr(34))[1]}"
    channel, nick = "#bench", "benchbridge"
    daemon = BridgePolygate(args.binary, os.path.join(top, "polygate"), prosody,
                            transports_for(ngircd.port, throttle_interval=0),
                            global_options={"worker": os.path.abspath(worker)},
                            log_level="message",
                            bridges=[{"name": "bench", "transport": "irc",
                                      "server": "127.0.0.1", "channel": channel, "room": room,
                                      "nick": nick}])
    checker = XmppClient(f"harness@{DOMAIN}", prosody.passwords[f"harness@{DOMAIN}"],
                         port=prosody.c2s_port).connect()
    crowd = []
    try:
        daemon.start(checker)
        owner = Occupant(prosody, room, "owner")
        join_room(owner.client, room, owner.nick)
        wait(lambda: any(p.get("from") == f"{room}/owner" and 110 in statuses(p)
                         for p in presences(owner.client)), 30, "the room")
        owner.client.iq_set(room, "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                                  "<x xmlns='jabber:x:data' type='submit'/></query>")
        owner.client.iq_set(room, "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                                  f"<item affiliation='owner' jid='{bridge_jid('bench')}'/>"
                                  "</query>")
        op = IrcClient(ngircd.port, "benchop").connect()
        op.join(channel)
        wait(lambda: f'User "{nick}!' in ngircd.log(), 60, "the bridge on IRC")
        op.privmsg(nick, "approve")
        op.wait_for(lambda l: l.is_("JOIN", nick=nick), 60, "the bridge's JOIN")
        wait(lambda: any(p.get("from") == f"{room}/benchop" for p in presences(owner.client)),
             60, "the op's puppet")
        pid = daemon.pid
        others = {"worker": lambda: daemon.worker_pids(), "prosody": lambda: [prosody.proc.pid],
                  "ngircd": lambda: [ngircd.proc.pid]}

        def burst(direction, n, tag, send, done):
            pids = {name: get() for name, get in others.items()}
            before = {name: cpu_of(p) for name, p in pids.items()}
            start_cpu, start = cpu_seconds(pid), time.monotonic()
            send()
            wait(done, 600, f"every line {direction}")
            took, cpu = time.monotonic() - start, cpu_seconds(pid) - start_cpu
            rest = ", ".join(f"{name} {(cpu_of(p) - before[name]) * 1e6 / n:.0f}"
                             for name, p in pids.items())
            print(f"{direction}{tag}: {n} lines in {took:.2f} s = {n / took:.0f} lines/s, "
                  f"daemon CPU {cpu * 1e6 / n:.0f} us/line ({rest} us/line)", flush=True)

        def both_ways(n, tag, round_):
            prefix = f"irc line {round_} "
            burst("IRC -> room", n, tag,
                  lambda: op.send_many([f"PRIVMSG {channel} :{prefix}{i}" for i in range(n)]),
                  lambda: sum(1 for m in messages(owner.client)
                              if (m.findtext("{jabber:client}body") or "").startswith(prefix))
                  >= n)
            text = f"room line {round_} "
            burst("room -> IRC", n, tag,
                  lambda: owner.client.send_raw("".join(
                      f"<message xmlns='jabber:client' to='{room}' type='groupchat' "
                      f"id='b{round_}-{i}'><body>{text}{i}</body></message>"
                      for i in range(n))),
                  lambda: len(op.lines(lambda l: l.command == "PRIVMSG" and
                                       unbroken(l.text).startswith(f"<owner> {text}"))) >= n)

        both_ways(args.lines, "", 0)

        if args.crowd == 0:
            return 0
        # a crowd of nicks
        before = rss_kib(pid)
        start = time.monotonic()
        crowd = [Crowd(ngircd.port, channel, args.crowd)]
        wait(lambda: crowd[0].welcomed >= args.crowd, 600, "every crowd client on IRC")
        joined = time.monotonic() - start
        wait(lambda: len({p.get("from") for p in presences(owner.client)
                          if (p.get("from") or "").startswith(f"{room}/crowd")})
             >= args.crowd, 900, "every puppet of the crowd")
        took = time.monotonic() - start
        grown = rss_kib(pid) - before
        print(f"crowd: {args.crowd} nicks on IRC in {joined:.1f} s, all in the room after "
              f"{took:.1f} s; daemon RSS +{grown} KiB = {grown / args.crowd:.1f} KiB/puppet",
              flush=True)
        if args.crowd_lines:
            perf = None
            if args.perf:
                # the daemon's call graph over the crowd's bursts only
                perf = subprocess.Popen(["perf", "record", "--call-graph", "dwarf,16384",
                                         "-o", args.perf, "-p", str(pid)],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
            try:
                both_ways(args.crowd_lines, f" with {args.crowd} puppets in the room", 1)
            finally:
                if perf is not None:
                    perf.send_signal(signal.SIGINT)
                    perf.wait(60)
    finally:
        for client in crowd:
            client.close()
        daemon.stop()
        checker.disconnect()
        ngircd.stop()
        prosody.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
