"""A worker that hangs (stops answering pings) is treated like one that died:
killed, the user told, the session and its rooms restored without the user
doing anything.  The daemon pings every 10 s and gives a worker 10 s more
(PG_WORKER_PING_INTERVAL + PG_WORKER_PING_TIMEOUT), so this takes ~20-30 s."""

import os
import signal

from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, gateway, gateway_options, in_a_room, irc_checker, irc_prosody, make_irc_client,
    make_irc_user, ngircd, ngircd_password, notice_from, ptype, statuses)


def test_a_hung_worker_is_killed_and_the_user_is_back_in_the_room_alone(
        gateway, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    pid = alice.worker_pid()
    assert pid is not None, f"no worker holds {alice.nick}'s IRC connection"
    os.kill(pid, signal.SIGSTOP)  # alive but silent: only the pings can tell
    try:
        notice = alice.wait_message(notice_from(IRC, room), 60,
                                    "a notice that the hung worker was replaced")
        assert "hung" in "".join(notice.itertext()), notice
        bob.wait_for(lambda l: l.is_("JOIN", nick=alice.nick, target=channel), 60,
                     f"{alice.nick} to JOIN {channel} again", alice.logs)
        alice.wait_presence(
            lambda p: p.get("from") == f"{room}/{alice.nick}" and ptype(p) == "available"
            and 110 in statuses(p), 60, "a fresh self-presence (110) after the rejoin")
        assert gateway.running
        new_pid = alice.worker_pid()
        assert new_pid is not None and new_pid != pid
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
