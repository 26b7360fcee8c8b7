"""The IRC side survives its parts dying: the worker, ngircd, Prosody.

The order matters and is the file's order: each test leaves the module's
servers running, but Prosody's restart disturbs the most, so it goes last.
"""

import os
import signal

from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, SERVER, gateway, gateway_options, groupchat_from, in_a_room, irc_checker,
    irc_prosody, join_room, make_irc_client, make_irc_user, ngircd, ngircd_password,
    notice_from, ptype, room_jid, statuses, wait_until)
from harness.irc import IrcClient


def fresh_self_presence(user, room, timeout):
    return user.wait_presence(
        lambda p: p.get("from") == f"{room}/{user.nick}" and ptype(p) == "available"
        and 110 in statuses(p), timeout, "a fresh self-presence (110) after the rejoin")


def talk_both_ways(user, bob, channel, room, tag):
    user.send(room, f"{tag}: from xmpp", mtype="groupchat")
    bob.wait_for_privmsg(f"{tag}: from xmpp", sender=user.nick, target=channel, timeout=30,
                         log_paths=user.logs)
    bob.privmsg(channel, f"{tag}: from irc")
    user.wait_message(groupchat_from(f"{room}/{bob.nick}", f"{tag}: from irc"), 30,
                      f"bob's line after the {tag}")


def test_after_the_worker_is_killed_the_user_is_told_and_the_room_comes_back_alone(
        gateway, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    pid = alice.worker_pid()
    assert pid is not None, (f"no polygate-purple child of {gateway.pid} holds "
                             f"{alice.nick}'s IRC connection (children: "
                             f"{gateway.worker_pids()})")
    os.kill(pid, signal.SIGKILL)

    alice.wait_message(notice_from(IRC, room), 30, "a notice that the connection was lost")
    # no action by the user from here on
    bob.wait_for(lambda l: l.is_("JOIN", nick=alice.nick, target=channel), 60,
                 f"{alice.nick} to JOIN {channel} again", alice.logs)
    fresh_self_presence(alice, room, 60)
    assert gateway.running
    new_pid = alice.worker_pid()
    assert new_pid is not None and new_pid != pid
    talk_both_ways(alice, bob, channel, room, "after the worker died")


def test_after_ngircd_restarts_the_user_reconnects_and_rejoins(
        gateway, ngircd, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    ngircd.restart()
    bob.close()

    alice.wait_message(notice_from(IRC, room), 30, "a notice that the connection was lost")
    fresh_self_presence(alice, room, 60)
    with IrcClient(ngircd.port, bob.nick + "b").connect() as carol:
        carol.join(channel)
        carol.send(f"NAMES {channel}")
        names = carol.wait_for(lambda l: l.command == "353" and len(l.params) > 2
                               and l.params[2].lower() == channel.lower(), 20,
                               "NAMES after the restart")
        assert alice.nick.lower() in [n.lstrip("@+").lower() for n in names.text.split()]
        talk_both_ways(alice, carol, channel, room, "after ngircd restarted")
        carol.quit()


def test_after_prosody_restarts_the_component_returns_and_the_user_rejoins(
        gateway, irc_prosody, irc_checker, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    irc_prosody.restart()
    irc_checker.reconnect()
    gateway.wait_ready(irc_checker, timeout=60)
    assert gateway.running

    # what a client does: reconnect, send presence, rejoin its rooms
    alice.reconnect()
    alice.go_online(IRC)
    join_room(alice.client, room, alice.nick)
    fresh_self_presence(alice, room, 60)
    talk_both_ways(alice, bob, channel, room, "after prosody restarted")
    # (Whether IRC saw a PART and a new JOIN depends on whether Prosody's
    # shutdown delivered the client's unavailable presence to the room
    # first: both are correct.)
