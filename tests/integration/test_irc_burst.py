"""A paste from XMPP into a channel: every line reaches IRC, in order.

This module's gateway runs with irc_throttle_interval = 0 (prpl-irc's own
throttle off), so the burst is limited by nothing but the chain itself.
test_irc_throttle.py checks the default throttle.
"""

import os
import signal
import xml.etree.ElementTree as ET

from harness.ircgw import (  # noqa: F401 (fixtures)
    gateway, gateway_options, groupchat_from, happens_within, in_a_room, irc_checker, irc_prosody,
    make_irc_client, make_irc_user, messages, ngircd, ngircd_password, send_burst, wait_until)

LINES = [f"paste line {i:02d}: the quick brown fox" for i in range(50)]


def test_a_burst_of_50_lines_reaches_irc_complete_and_in_order(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    send_burst(alice.client, room, LINES)

    def received():
        return [l.text for l in bob.lines(lambda l: l.is_("PRIVMSG", nick=alice.nick,
                                                          target=channel))]
    try:
        wait_until(lambda: len(received()) >= len(LINES), 90,
                   f"{len(LINES)} PRIVMSGs at bob", alice.logs)
    finally:
        got = received()
        missing = [t for t in LINES if t not in got]
        assert not missing, f"{len(missing)} lines lost, first: {missing[:3]}"
    assert got == LINES, "the lines arrived out of order"


def test_a_burst_of_50_lines_is_reflected_once_each_in_order_with_the_ids(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    ids = send_burst(alice.client, room, LINES)
    own = groupchat_from(f"{room}/{alice.nick}")
    wait_until(lambda: len(messages(alice.client, own)) >= len(LINES), 90,
               f"{len(LINES)} reflections", alice.logs)
    echoes = messages(alice.client, own)
    assert [m.find("{jabber:client}body").text for m in echoes] == LINES
    assert [m.get("id") for m in echoes] == ids



PASTE = [f"long paste {i:04d}" for i in range(2000)]
HELD_S = 5


def test_a_burst_of_2000_lines_to_a_busy_worker_waits_and_gets_no_error(
        make_irc_user, make_irc_client):
    """More lines than may be in flight to one link (PG_LINK_IN_FLIGHT_MAX,
    src/session/pg-link-queue.h) while the worker is busy (here: stopped, as
    a loaded machine would hold it): the rest wait in the gateway, within
    the user's byte budget, and go as the worker takes the earlier ones.
    The user gets back-pressure, never "may not have reached" for lines
    that are still on their way, and every line arrives, in order."""
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    worker = alice.worker_pid()
    assert worker is not None

    def received():
        return [l.text for l in bob.lines(lambda l: l.is_("PRIVMSG", nick=alice.nick,
                                                          target=channel))]

    def errors():
        return messages(alice.client, lambda m: m.get("type") == "error")
    os.kill(worker, signal.SIGSTOP)
    try:
        send_burst(alice.client, room, PASTE)
        # the daemon reads the paste meanwhile: no error may come back
        happens_within(errors, HELD_S)
    finally:
        os.kill(worker, signal.SIGCONT)
    try:
        wait_until(lambda: len(received()) >= len(PASTE) or errors(), 300,
                   f"{len(PASTE)} PRIVMSGs at bob", alice.logs)
    finally:
        got = received()
        failed = errors()
        assert not failed, (f"{len(failed)} errors, the first: "
                            f"{ET.tostring(failed[0], encoding='unicode')}")
        missing = [t for t in PASTE if t not in got]
        assert not missing, f"{len(missing)} lines lost, first: {missing[:3]}"
    assert got == PASTE, "the lines arrived out of order"
