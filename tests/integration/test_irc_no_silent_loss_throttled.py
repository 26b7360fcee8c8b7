"""Lines held back by prpl-irc's throttle are not lost silently when the
worker dies (issue 8, item 7): with irc_throttle_interval = 2 and a burst
of 1, eight lines written at once leave one every 2 s.  The worker is
SIGKILLed once the sixth reached IRC, more than 10 s after the lines were
handed over; the two still queued in prpl-irc get an error with their id
(the window grows by one interval per line listed, pg-link-queue.h).
Every line is delivered to IRC or answered with an error.

Every wait has a deadline; nothing waits on a sleep.
"""

import os
import signal

import pytest

from harness.ircgw import (  # noqa: F401 (fixtures)
    gateway, in_a_room, irc_checker, irc_prosody, make_irc_client, make_irc_user, messages,
    ngircd, ngircd_password, send_message, wait_until)

LINES = 8
KILL_WHEN_DELIVERED = 6


@pytest.fixture(scope="module")
def gateway_options():
    return {"throttle_interval": 2, "throttle_burst": 1}


def test_lines_queued_by_the_throttle_when_the_worker_dies_get_an_error(
        gateway, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    pid = alice.worker_pid()
    assert pid is not None, "no worker holds alice's connection"
    texts = [f"throttled {i} of {LINES}" for i in range(1, LINES + 1)]
    ids = {send_message(alice.client, room, t, mtype="groupchat"): t for t in texts}
    bob.wait_for(lambda l: l.command == "PRIVMSG" and l.text == texts[KILL_WHEN_DELIVERED - 1],
                 60, "the sixth line on IRC", alice.logs)
    os.kill(pid, signal.SIGKILL)

    def delivered():
        return {l.text for l in bob.lines(lambda l: l.command == "PRIVMSG" and l.text in texts)}

    def errored():
        return {ids[m.get("id")] for m in messages(alice.client, lambda m: m.get("type") == "error"
                                                    and m.get("id") in ids)}

    wait_until(lambda: delivered() | errored() >= set(texts), 60,
               "every line delivered to IRC or answered with an error", alice.logs)
    print(f"sent {LINES}, delivered {len(delivered())}, errored {len(errored())}, "
          f"both {len(delivered() & errored())}")
    assert set(texts[KILL_WHEN_DELIVERED:]) - delivered() <= errored()
