#!/usr/bin/python3
"""Through one community bridge (issue 11), on loopback: Prosody's own MUC
(mod_muc_mam), ngircd, polygate with one [bridge] and no IRC throttle.

    /usr/bin/python3 contrib/bench/bridge_bench.py [--lines 2000] [--crowd 200]

Measures:
  - IRC -> room: one raw IRC client writes --lines lines in one burst; the
    time until a room occupant has them all; lines/s; the daemon's CPU per
    line (utime+stime from /proc, over the burst);
  - room -> IRC: one occupant writes --lines messages in one write; the time
    until the IRC client has every "<nick> text" line; lines/s; CPU/line;
  - a crowd: --crowd raw IRC clients join the channel; the time until the
    occupant sees every puppet, and the daemon's RSS growth per puppet.
"""

import argparse
import os
import sys
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=benchlib.default_binary(BUILDS))
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--crowd", type=int, default=200)
    parser.add_argument("--no-mam", action="store_true",
                        help="the room without mod_muc_mam (what the archive costs Prosody)")
    args = parser.parse_args()
    args.binary = benchlib.binary_or_exit(args.binary)
    worker = os.path.join(os.path.dirname(args.binary), "..", "backends", "purple",
                          "polygate-purple")
    top = tempfile.mkdtemp(prefix="bridge-bench-")
    certs = os.path.join(top, "certs")
    os.makedirs(certs)
    util.selfsigned_cert(certs, DOMAIN)
    prosody = Prosody(os.path.join(top, "prosody"), certs, components=(IRC, "ircnet.localhost"),
                      extra_lines=MUC_COMPONENT[:1] if args.no_mam else MUC_COMPONENT)
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

        # IRC -> room
        n = args.lines
        start_cpu, start = cpu_seconds(pid), time.monotonic()
        op.send_many([f"PRIVMSG {channel} :irc line {i}" for i in range(n)])
        wait(lambda: sum(1 for m in messages(owner.client)
                         if (m.findtext("{jabber:client}body") or "").startswith("irc line "))
             >= n, 120, "every IRC line in the room")
        took, cpu = time.monotonic() - start, cpu_seconds(pid) - start_cpu
        print(f"IRC -> room: {n} lines in {took:.2f} s = {n / took:.0f} lines/s, "
              f"daemon CPU {cpu * 1e6 / n:.0f} us/line")

        # room -> IRC
        start_cpu, start = cpu_seconds(pid), time.monotonic()
        owner.client.send_raw("".join(
            f"<message xmlns='jabber:client' to='{room}' type='groupchat' id='b{i}'>"
            f"<body>room line {i}</body></message>" for i in range(n)))
        wait(lambda: len(op.lines(lambda l: l.command == "PRIVMSG"
                                  and unbroken(l.text).startswith("<owner> room line "))) >= n,
             120, "every room line on IRC")
        took, cpu = time.monotonic() - start, cpu_seconds(pid) - start_cpu
        print(f"room -> IRC: {n} lines in {took:.2f} s = {n / took:.0f} lines/s, "
              f"daemon CPU {cpu * 1e6 / n:.0f} us/line")

        if args.crowd == 0:
            return 0
        # a crowd of nicks
        before = rss_kib(pid)
        start = time.monotonic()
        for i in range(args.crowd):
            client = IrcClient(ngircd.port, f"crowd{i}").connect()
            client.send(f"JOIN {channel}")
            crowd.append(client)
        joined = time.monotonic() - start
        wait(lambda: len({p.get("from") for p in presences(owner.client)
                          if (p.get("from") or "").startswith(f"{room}/crowd")})
             >= args.crowd, 300, "every puppet of the crowd")
        took = time.monotonic() - start
        grown = rss_kib(pid) - before
        print(f"crowd: {args.crowd} nicks on IRC in {joined:.1f} s, all in the room after "
              f"{took:.1f} s; daemon RSS +{grown} KiB = {grown / args.crowd:.1f} KiB/puppet")
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
