"""The fault suite: numbered traffic both ways while a part of the chain fails.

Each scenario sends numbered lines at a steady pace, before, during and
after one fault, in both directions:

    x2i  the XMPP user -> her IRC room  (seen by bob, a raw IRC client)
    i2x  bob -> the channel             (seen by the XMPP user as groupchat)
    sms  the fake SMSC -> Kannel -> polygate /kannel/inbound -> the user

Faults: SIGKILL of the user's worker; SIGSTOP of it for 30 s then SIGCONT;
a restart of ngircd; a restart of Prosody; Prosody stopped while inbound
SMS arrive through Kannel.  Once the chain is whole again, an end marker
goes each way and everything sent before it has had its chance to arrive.
Then every number is put in exactly one column:

    delivered   arrived (once or more)
    duplicated  extra copies (counted apart: a duplicate is also delivered)
    errored     x2i only: the sender got a stanza error for it (RFC 6120 §8.3)
                and it did not arrive (one that arrived anyway counts as
                delivered, and the notes say "errored yet delivered")
    absent      i2x only: sent while the gateway had told the user she was
                out of the room (a notice that the connection dropped, or her
                own XMPP stream was down); a room delivers nothing to an
                absent occupant (XEP-0045), and IRC nothing to a nick that is
                not in the channel
    lost        none of the above: silently lost

The assertion of each scenario is lost == 0.  The table is printed (pytest
-s) and written to fault-table.txt next to the build dir of POLYGATE_BIN
(or to $POLYGATE_FAULT_TABLE), for the closing note of issue 8.

Order matters (file order): Prosody's restarts disturb the most and go
last.  Pacing the traffic uses time.sleep: it spaces the lines, it does not
wait for anything; every wait for an outcome is on an event with a
deadline.
"""

import os
import re
import signal
import time
import uuid

import pytest

from harness import util
from harness.client import XmppClient, error_condition
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRCNET, body, gateway, gateway_options, irc_checker, irc_prosody, make_irc_client,
    make_irc_user, ngircd, ngircd_password, ptype, record_stream, statuses, unique)
from harness.irc import IrcClient
from harness.smsgw import (  # noqa: F401 (fixtures)
    SMS, make_sms_user, new_client, smsgw, unique_number)
from harness.xep import register_form

PACE = 0.2         # seconds between two numbered lines of one direction
BEFORE = 10        # lines each way before the fault
AFTER = 10         # lines each way once the chain is whole again
RECOVERY = 90      # deadline for the chain to be whole again
SETTLE = 60        # deadline for the end markers
STOP_SECONDS = 30  # the SIGSTOP scenario's freeze

NS_PING = "urn:xmpp:ping"

RESULTS = []  # one row per scenario that ran


def pace():
    time.sleep(PACE)  # spacing of the numbered traffic, not a synchronisation


# -- the table ----------------------------------------------------------------------

def table_path():
    path = os.environ.get("POLYGATE_FAULT_TABLE")
    if path:
        return path
    binary = os.environ.get("POLYGATE_BIN")
    if binary:
        build = os.path.dirname(os.path.dirname(os.path.abspath(binary)))
        return os.path.join(build, "fault-table.txt")
    return None


COLUMNS = ("sent", "delivered", "duplicated", "errored", "absent", "lost")


def format_table(rows):
    head = f"{'scenario':<28} {'dir':<4} " + " ".join(f"{c:>10}" for c in COLUMNS) \
        + "  notes"
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(f"{row['scenario']:<28} {row['dir']:<4} "
                     + " ".join(f"{row.get(c, 0):>10}" for c in COLUMNS)
                     + f"  {row.get('notes', '')}")
    return "\n".join(lines)


@pytest.fixture(scope="module", autouse=True)
def fault_table():
    yield
    if not RESULTS:
        return
    text = format_table(RESULTS)
    print("\n\nFault table (tests/integration/test_faults.py)\n" + text)
    path = table_path()
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")


# -- IRC traffic ----------------------------------------------------------------------

class Observer:
    """bob, the IRC side: may be replaced by a new connection (after ngircd
    restarts); lines are read from every connection he had."""

    def __init__(self, bob, channel):
        self.clients = [bob]
        self.channel = channel

    @property
    def bob(self):
        return self.clients[-1]

    def lines(self, predicate=lambda l: True):
        return [l for c in self.clients for l in c.lines(predicate)]


class Traffic:
    def __init__(self, scenario, user, observer, room):
        self.scenario = scenario
        self.tag = f"{scenario}-{uuid.uuid4().hex[:6]}"
        self.user = user
        self.observer = observer
        self.room = room
        self.n = 0
        self.x2i = {}   # n -> message id
        self.i2x = {}   # n -> time sent
        self.absent = []  # [start, end) windows in which the user was told she was out
        self.xmpp_up = True
        self.irc_up = True

    def tick(self):
        self.n += 1
        n = self.n
        if self.xmpp_up:
            self.x2i[n] = self.user.send(self.room, f"{self.tag} x2i {n}", mtype="groupchat")
        if self.irc_up:
            try:
                self.observer.bob.privmsg(self.observer.channel, f"{self.tag} i2x {n}")
                self.i2x[n] = time.monotonic()
            except OSError:
                pass  # bob's server is down: not sent, not counted
        pace()

    def run(self, count):
        for _ in range(count):
            self.tick()

    def run_until(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise util.HarnessError(f"{self.scenario}: {what} did not happen within "
                                        f"{timeout}s")
            self.tick()

    def run_for(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.tick()

    # -- the end -----------------------------------------------------------------
    def settle(self):
        """End markers both ways, then a ping to the transport: whatever the
        daemon sent before its answer has arrived."""
        end_x2i = f"{self.tag} x2i end"
        end_i2x = f"{self.tag} i2x end"
        self.user.send(self.room, end_x2i, mtype="groupchat")
        self.observer.bob.privmsg(self.observer.channel, end_i2x)
        util.wait_for(lambda: self.observer.lines(lambda l: l.command == "PRIVMSG"
                                                  and l.text == end_x2i),
                      SETTLE, f"{self.scenario}: the x2i end marker on IRC",
                      self.user.gateway.log_path)
        util.wait_for(lambda: self._received(end_i2x), SETTLE,
                      f"{self.scenario}: the i2x end marker over XMPP",
                      self.user.gateway.log_path)
        reply = self.user.client.iq_get(IRCNET, f"<ping xmlns='{NS_PING}'/>", timeout=30)
        assert reply.get("type") == "result"

    def _received(self, text):
        with self.user.client._cond:
            return [m for _, m in self.user.client.all_messages
                    if m.get("type") == "groupchat" and body(m) == text]

    def count(self, notes=""):
        pattern = re.compile(rf"^{re.escape(self.tag)} x2i (\d+)$")
        seen = {}
        for line in self.observer.lines(lambda l: l.command == "PRIVMSG"):
            m = pattern.match(line.text or "")
            if m:
                seen[int(m.group(1))] = seen.get(int(m.group(1)), 0) + 1
        ids = {msg_id: n for n, msg_id in self.x2i.items()}
        with self.user.client._cond:
            messages = [m for _, m in self.user.client.all_messages]
        errors = [m for m in messages if m.get("type") == "error" and m.get("id") in ids]
        errored = {ids[m.get("id")] for m in errors}
        conditions = {}
        for m in errors:
            condition = (error_condition(m) or (None, "?"))[1]
            conditions[condition] = conditions.get(condition, 0) + 1
        x2i_notes = "; ".join([notes] * bool(notes) + [
            "errors: " + ", ".join(f"{c} x{k}" for c, k in sorted(conditions.items()))
        ] * bool(conditions))
        x2i = row(self.scenario, "x2i", self.x2i, seen, errored=errored, notes=x2i_notes)

        pattern = re.compile(rf"^{re.escape(self.tag)} i2x (\d+)$")
        got = {}
        for m in messages:
            if m.get("type") == "groupchat":
                found = pattern.match(body(m) or "")
                if found:
                    got[int(found.group(1))] = got.get(int(found.group(1)), 0) + 1
        absent = {n for n, t in self.i2x.items()
                  if any(start <= t < end for start, end in self.absent)}
        i2x = row(self.scenario, "i2x", self.i2x, got, absent=absent, notes=notes)
        RESULTS.extend([x2i, i2x])
        return x2i, i2x


def row(scenario, direction, sent, seen, errored=(), absent=(), notes=""):
    delivered = {n for n in sent if seen.get(n)}
    lost = sorted(n for n in sent if n not in delivered and n not in errored
                  and n not in absent)
    both = len(delivered & set(errored))
    if both:
        # the sender was told it failed, yet it arrived (a resend duplicates it)
        notes = "; ".join([notes] * bool(notes) + [f"{both} errored yet delivered"])
    return {
        "scenario": scenario, "dir": direction, "sent": len(sent),
        "delivered": len(delivered),
        "duplicated": sum(seen[n] - 1 for n in delivered),
        "errored": len({n for n in errored if n not in delivered}),
        "absent": len({n for n in absent if n not in delivered and n not in errored}),
        "lost": len(lost), "lost_numbers": lost, "notes": notes,
    }


def assert_nothing_lost(*rows):
    problems = [f"{r['scenario']} {r['dir']}: {r['lost']} silently lost "
                f"(numbers {r['lost_numbers'][:20]})" for r in rows if r["lost"]]
    assert not problems, "; ".join(problems) + "\n" + format_table(rows)


# -- IRC scenarios ---------------------------------------------------------------------

def user_in_channel(make_irc_user, make_irc_client):
    """A user who approved the transport's subscription (XEP-0100 §4.1.1),
    in a channel of ngircd with bob.  Returns (user, observer, room)."""
    user = make_irc_user(transports=(IRCNET,), online=False)
    user.client.wait_for_presence(IRCNET, "subscribe")
    user.client.send_presence(IRCNET, "subscribed")
    user.go_online(IRCNET)
    bob = make_irc_client("bob")
    channel = "#" + unique("f")
    bob.join(channel)
    room = user.join(channel, IRCNET)
    bob.wait_for(lambda l: l.is_("JOIN", nick=user.nick, target=channel), 30,
                 f"{user.nick} to JOIN {channel}", user.logs)
    return user, Observer(bob, channel), room


def rejoined(user, room):
    """Predicate: the user got a fresh self-presence (110) from the room."""
    def check():
        with user.client._cond:
            for entry in user.client._presences:
                p = entry[1]
                if not entry[0] and p.get("from") == f"{room}/{user.nick}" \
                        and ptype(p) == "available" and 110 in statuses(p):
                    entry[0] = True
                    return True
        return False
    return check


def told_out(user, room):
    """Predicate: the gateway told the user the room is gone for now (a
    notice from the room or the transport, or an unavailable self-presence)."""
    def check():
        with user.client._cond:
            for _, m in user.client.all_messages:
                if (m.get("from") or "").lower() in (room.lower(), IRCNET) \
                        and body(m) is not None and m.get("type") != "error" \
                        and " x2i " not in (body(m) or "") and " i2x " not in (body(m) or ""):
                    return True
            for _, p in user.client._presences:
                if p.get("from") == f"{room}/{user.nick}" and ptype(p) == "unavailable":
                    return True
        return False
    return check


def test_fault_worker_sigkill(gateway, make_irc_user, make_irc_client):
    user, observer, room = user_in_channel(make_irc_user, make_irc_client)
    traffic = Traffic("worker SIGKILL", user, observer, room)
    traffic.run(BEFORE)
    pid = user.worker_pid()
    assert pid is not None, "no worker holds the user's IRC connection"
    daemon_pid = gateway.pid
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    traffic.run_until(rejoined(user, room), RECOVERY, "the rejoin after the worker died")
    back = time.monotonic()
    if told_out(user, room)():
        traffic.absent.append((killed, back))
    traffic.run(AFTER)
    traffic.settle()
    x2i, i2x = traffic.count(notes=f"back in the room {back - killed:.1f} s after the kill")
    assert gateway.running and gateway.pid == daemon_pid
    assert_nothing_lost(x2i, i2x)


def test_fault_worker_sigstop_30s(gateway, make_irc_user, make_irc_client):
    user, observer, room = user_in_channel(make_irc_user, make_irc_client)
    traffic = Traffic("worker SIGSTOP 30 s", user, observer, room)
    traffic.run(BEFORE)
    pid = user.worker_pid()
    assert pid is not None, "no worker holds the user's IRC connection"
    daemon_pid = gateway.pid
    stopped = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    try:
        traffic.run_for(STOP_SECONDS)
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass  # the daemon found it hung and killed it
    # the daemon kills a worker silent for 20 s (pg-worker.c); if it did,
    # the user is told and comes back
    if told_out(user, room)():
        traffic.run_until(rejoined(user, room), RECOVERY, "the rejoin after the hang")
        traffic.absent.append((stopped, time.monotonic()))
    traffic.run(AFTER)
    traffic.settle()
    x2i, i2x = traffic.count()
    assert gateway.running and gateway.pid == daemon_pid
    assert_nothing_lost(x2i, i2x)


def test_fault_ngircd_restart(gateway, ngircd, make_irc_user, make_irc_client):
    user, observer, room = user_in_channel(make_irc_user, make_irc_client)
    traffic = Traffic("ngircd restart", user, observer, room)
    traffic.run(BEFORE)
    daemon_pid = gateway.pid
    down = time.monotonic()
    traffic.irc_up = False
    ngircd.restart()
    observer.bob.close()
    # bob is back at once (before the gateway's reconnect backoff of >= 2 s)
    bob = IrcClient(ngircd.port, unique("bob")).connect()
    observer.clients.append(bob)
    bob.join(observer.channel)
    traffic.irc_up = True
    traffic.run_until(rejoined(user, room), RECOVERY, "the rejoin after ngircd restarted")
    # bob must have been in the channel before her: else lines the gateway
    # flushed on its rejoin went by unseen and would count as lost
    bob.wait_for(lambda l: l.is_("JOIN", nick=user.nick, target=observer.channel), 20,
                 f"bob to see {user.nick} JOIN again (he must rejoin first to count)",
                 user.logs)
    if told_out(user, room)():
        traffic.absent.append((down, time.monotonic()))
    traffic.run(AFTER)
    traffic.settle()
    x2i, i2x = traffic.count()
    bob.quit()
    bob.close()
    assert gateway.running and gateway.pid == daemon_pid
    assert_nothing_lost(x2i, i2x)


def test_fault_prosody_restart(gateway, irc_prosody, irc_checker, make_irc_user,
                               make_irc_client):
    user, observer, room = user_in_channel(make_irc_user, make_irc_client)
    traffic = Traffic("Prosody restart", user, observer, room)
    traffic.run(BEFORE)
    daemon_pid = gateway.pid
    down = time.monotonic()
    traffic.xmpp_up = False  # her client cannot send while its server is down
    irc_prosody.stop()
    traffic.run(5)
    irc_prosody.start()
    irc_checker.reconnect()
    gateway.wait_ready(irc_checker, timeout=60)
    # what a client does: log in again (its initial presence reaches the
    # transport through the subscription) and rejoin its rooms
    messages_before = list(user.client.all_messages)
    user.reconnect()
    user.client.all_messages[:0] = messages_before  # keep what arrived before, for the count
    traffic.xmpp_up = True
    user.join(observer.channel, IRCNET, timeout=RECOVERY)
    traffic.absent.append((down, time.monotonic()))
    traffic.run(AFTER)
    traffic.settle()
    x2i, i2x = traffic.count(notes="i2x absent: her XMPP stream was down")
    assert gateway.running and gateway.pid == daemon_pid
    assert_nothing_lost(x2i, i2x)


# -- SMS ----------------------------------------------------------------------------

def test_fault_prosody_stopped_while_inbound_sms_arrive(smsgw):
    client = new_client(smsgw, "faultsms")
    jid, password = client.jid, smsgw.prosody.passwords[client.jid]
    number = unique_number()
    reply = client.iq_set(SMS, register_form({"phone": number}))
    assert reply.get("type") == "result"
    client.wait_for_presence(SMS, "subscribe")
    client.send_presence(SMS, "subscribed")
    client.send_raw(f"<presence xmlns='jabber:client' to='{SMS}'/>")
    peer = unique_number("+4915")
    tag = f"sms-{uuid.uuid4().hex[:6]}"
    sent = {}
    daemon_pid = smsgw.daemon.pid

    def send(n):
        smsgw.smsc.send_mo(peer, number, f"{tag} {n}")
        sent[n] = time.monotonic()
        pace()

    for n in range(1, BEFORE + 1):
        send(n)
    # the first ones arrive while all is up
    util.wait_for(lambda: received(client, tag, BEFORE), 30, "the SMS sent before the stop",
                  smsgw.daemon.log_path)
    smsgw.prosody.stop()
    client.disconnect()
    got = counts(client, tag)  # what the first stream received
    during = range(BEFORE + 1, BEFORE + 1 + 20)
    for n in during:
        send(n)
    # every one of them went through Kannel to the daemon (its access log)
    util.wait_for(lambda: inbound_calls(smsgw, tag) >= len(sent), 60,
                  "Kannel to hand every SMS to the daemon", smsgw.daemon.log_path)
    smsgw.prosody.start()
    smsgw.checker.reconnect()
    smsgw.daemon.wait_ready(smsgw.checker, timeout=60)
    client = XmppClient(jid, password, port=smsgw.prosody.c2s_port).connect()
    record_stream(client)
    client.send_raw(f"<presence xmlns='jabber:client' to='{SMS}'/>")
    last = max(sent) + 1
    send(last)  # the end marker: after it, whatever the gateway kept has had its turn
    try:
        util.wait_for(lambda: received(client, tag, last), SETTLE, "the SMS end marker",
                      smsgw.daemon.log_path)
        reply = client.iq_get(SMS, f"<ping xmlns='{NS_PING}'/>", timeout=30)
        assert reply.get("type") == "result"
        for n, k in counts(client, tag).items():
            got[n] = got.get(n, 0) + k
    finally:
        client.disconnect()
    delivered = {n for n in sent if got.get(n)}
    lost = sorted(n for n in sent if n not in delivered)
    result = {"scenario": "Prosody down, inbound SMS", "dir": "sms", "sent": len(sent),
              "delivered": len(delivered),
              "duplicated": sum(got[n] - 1 for n in delivered), "errored": 0, "absent": 0,
              "lost": len(lost), "lost_numbers": lost,
              "notes": f"{len(during)} arrived while Prosody was down"}
    RESULTS.append(result)
    assert smsgw.daemon.running and smsgw.daemon.pid == daemon_pid
    assert_nothing_lost(result)


def counts(client, tag):
    pattern = re.compile(rf"^{re.escape(tag)} (\d+)$")
    got = {}
    with client._cond:
        messages = [m for _, m in getattr(client, "all_messages", client._messages)]
    for m in messages:
        found = pattern.match(body(m) or "")
        if found and (m.get("type") or "normal") != "error":
            got[int(found.group(1))] = got.get(int(found.group(1)), 0) + 1
    return got


def received(client, tag, n):
    return counts(client, tag).get(n, 0) > 0


def inbound_calls(smsgw, tag):
    """How many of the tagged SMS smsbox handed to the daemon's get-url."""
    try:
        with open(smsgw.kannel.smsbox_log, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return 0
    return len(re.findall(rf"{re.escape(tag)}[ +]\d+", text))
