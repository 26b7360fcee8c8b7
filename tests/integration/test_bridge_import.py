"""Old IRC logs into the native room before cutover (issue 11 §6): the
operator imports an irssi log with `polygate bridge import`, the running
bridge replays it into its room (Prosody, mod_muc + mod_muc_mam; ngircd),
and a XEP-0313 query on the room returns the lines, with their speakers and
times, in order, each exactly once, across a gateway restart mid-replay and
a second replay.

Prosody 0.12 drops a message's XEP-0203 delay from its archive
(test_bridge_mam_delay.py), so the replay writes each line's time and
speaker into its text (import_time = both, the default)."""

import os
import re
import sqlite3
import time
import uuid

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    Bridged, bridge_checker, bridge_configs, bridge_gateway, bridge_options,
    bridge_prosody, make_irc, ngircd, presence_of, run_command)
from harness.client import to_string
from harness.ircgw import wait_presence
from harness.polygate import run_binary

NS_MAM = "urn:xmpp:mam:2"
NS_FORWARD = "urn:xmpp:forward:0"
NS_CLIENT = "jabber:client"
NS_DELAY = "urn:xmpp:delay"

LINES = 12
# irssi: the day from "Log opened"/"Day changed", HH:MM on each line
LOG = ("--- Log opened Tue Mar 03 09:00:00 2020\n"
       "09:00 -!- alice [~alice@198.51.100.7] has joined #old\n"
       + "".join(f"09:{i + 1:02d} < {'alice' if i % 2 else 'bob'}> old line {i}\n"
                 for i in range(LINES - 1))
       + "09:30  * carol waves goodbye\n"
       "--- Log closed Tue Mar 03 10:00:00 2020\n")
EXPECTED = ([f"[2020-03-03 09:{i + 1:02d}] <{'alice' if i % 2 else 'bob'}> old line {i}"
             for i in range(LINES - 1)] + ["[2020-03-03 09:30] * carol waves goodbye"])


@pytest.fixture(scope="module")
def bridge_names():
    return ("import",)


@pytest.fixture(scope="module")
def bridge_options():
    # slow enough that the restart below lands mid-replay
    return {"import": {"replay_rate": "2"}}


def archive(client, room):
    """The bodies of the room's whole archive (XEP-0313), oldest first."""
    queryid = uuid.uuid4().hex
    reply = client.iq_set(room, f"<query xmlns='{NS_MAM}' queryid='{queryid}'>"
                                "<set xmlns='http://jabber.org/protocol/rsm'><max>500</max>"
                                "</set></query>")
    assert reply.get("type") == "result", to_string(reply)
    bodies = []
    for m in list(client.every_message):
        result = m.find(f"{{{NS_MAM}}}result")
        if result is None or result.get("queryid") != queryid:
            continue
        message = result.find(f"{{{NS_FORWARD}}}forwarded/{{{NS_CLIENT}}}message")
        bodies.append(message.findtext(f"{{{NS_CLIENT}}}body"))
    return bodies


def replayed(client, room):
    """The replayed lines the room sent @client live, in arrival order."""
    return [m.findtext(f"{{{NS_CLIENT}}}body") for m in list(client.every_message)
            if m.get("type") == "groupchat" and (m.get("from") or "").startswith(room + "/")
            and re.match(r"\[2020-", m.findtext(f"{{{NS_CLIENT}}}body") or "")]


def wait_until(predicate, timeout, what, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = "".join(f"\n--- {p}\n" + open(p, errors="replace").read()[-3000:] for p in logs)
    raise AssertionError(f"no {what} within {timeout}s{tails}")


def status_of(gateway, name):
    result = run_binary(gateway.binary, "bridge", "status", "--bridge", name,
                        "--config", gateway.config_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_an_imported_irssi_log_is_replayed_once_into_the_room_archive(
        bridge_gateway, bridge_configs, bridge_checker, make_irc, tmp_path):
    b = Bridged(bridge_gateway, "import", bridge_configs["import"], make_irc)
    replay_and_check(b, bridge_gateway, bridge_checker, tmp_path)


def replay_and_check(b, bridge_gateway, bridge_checker, tmp_path):
    try:
        owner = b.create_room()
        op = b.chanop("op")
        b.approve(op)
        wait_presence(owner.client, presence_of(b.room, b.nick), 45, "the relay in the room",
                      b.logs)

        log = tmp_path / "old.log"
        log.write_text(LOG)
        typo = run_binary(bridge_gateway.binary, "bridge", "import", "--bridge", "imprt",
                          "--format", "irssi", str(log), "--config", bridge_gateway.config_path)
        assert typo.returncode == 1 and "no [bridge imprt]" in typo.stderr, typo.stderr
        done = run_binary(bridge_gateway.binary, "bridge", "import", "--bridge", "import",
                          "--format", "irssi", str(log), "--config", bridge_gateway.config_path)
        assert done.returncode == 0, done.stderr
        assert f"{LINES + 1} lines spooled" in done.stdout, done.stdout  # the join too

        note = run_command(bridge_checker, "bridge-replay", bridge="import")
        assert f"{LINES + 1} imported line(s) to replay" in note, note

        # a restart mid-replay: what the room took is not sent again
        wait_until(lambda: len(replayed(owner.client, b.room)) >= 3, 60,
                   "the first replayed lines", b.logs)
        bridge_gateway.stop()
        bridge_gateway.start(bridge_checker)
        wait_until(lambda: len(replayed(owner.client, b.room)) >= LINES, 120,
                   "every replayed line", b.logs)
        # each carries the original time for servers that keep it (XEP-0203)
        first = next(m for m in owner.client.every_message
                     if (m.findtext(f"{{{NS_CLIENT}}}body") or "") == EXPECTED[0])
        assert first.get("from") == f"{b.room}/{b.nick}", to_string(first)

        wait_until(lambda: "0 waiting to be replayed" in status_of(bridge_gateway, "import"),
                   30, "the spool marked replayed", b.logs)
        out = status_of(bridge_gateway, "import")
        assert f"{LINES + 1} lines spooled, 0 waiting" in out, out

        # the room took the last line but the gateway died before it
        # marked it: on entry the relay finds it in the room's archive
        bridge_gateway.stop()
        store = os.path.join(bridge_gateway.dir, "registry.db.bridge")
        with sqlite3.connect(store) as db:
            db.execute("UPDATE spool SET replayed_us = 0, stanza_id = NULL WHERE id ="
                       " (SELECT max(id) FROM spool WHERE bridge = 'import')")
        assert "1 waiting" in status_of(bridge_gateway, "import")
        bridge_gateway.start(bridge_checker)
        wait_until(lambda: "0 waiting to be replayed" in status_of(bridge_gateway, "import"),
                   60, "the last line found in the archive", b.logs)

        # a second replay doubles nothing; a live line is the sync point
        note = run_command(bridge_checker, "bridge-replay", bridge="import")
        assert "0 imported line(s) to replay" in note, note
        op.privmsg(b.channel, "after the replay")
        owner.wait_line(op.nick, "after the replay", logs=b.logs)

        assert replayed(owner.client, b.room) == EXPECTED
        bodies = archive(owner.client, b.room)
        old = [body for body in bodies if body and body.startswith("[2020-")]
        assert old == EXPECTED, bodies
        assert bodies.index(EXPECTED[-1]) < bodies.index("after the replay"), bodies
    finally:
        b.close()
