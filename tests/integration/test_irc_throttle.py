"""With prpl-irc's default throttle (burst 5, then one line per 2 s: the
transport sets no irc_throttle_*), a short paste is slowed down but nothing
is dropped and the order holds."""

import pytest

from harness.ircgw import (  # noqa: F401 (fixtures)
    gateway, in_a_room, irc_checker, irc_prosody, make_irc_client, make_irc_user, ngircd,
    ngircd_password, send_burst, wait_until)


@pytest.fixture(scope="module")
def gateway_options():
    return {"throttle_interval": None}


def test_a_burst_of_8_lines_under_the_default_throttle_loses_nothing(
        make_irc_user, make_irc_client):
    lines = [f"throttled line {i}" for i in range(8)]
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    send_burst(alice.client, room, lines)

    def received():
        return [l.text for l in bob.lines(lambda l: l.is_("PRIVMSG", nick=alice.nick,
                                                          target=channel))]
    wait_until(lambda: len(received()) >= len(lines), 120,
               f"{len(lines)} throttled PRIVMSGs at bob", alice.logs)
    assert received() == lines
