"""Sessions match the XMPP server's truth after the server crashes.

Against Debian's ejabberd 23.01 (harness/ejabberd.py): a user is online with
an IRC session (through ngircd), ejabberd is SIGKILLed and started again.
Her XMPP session died with the server, so her unavailable presence never
reached the gateway.  When the component is back, the gateway probes her
(RFC 6121 §4.3); nothing confirms her resource within [xmpp] probe_timeout,
so her IRC connection must end (her nick QUITs on ngircd) and the admin
command online-users must no longer list her.  A user who does come back
keeps her session.
"""

import re

import pytest

from harness import ejabberd as ejabberd_harness
from harness import util
from harness.client import XmppClient, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRCNET, gateway, irc_checker, join_room, make_irc_client, make_irc_user, ngircd,
    ngircd_password, record_stream, statuses, unique)
from harness.prosody import DOMAIN

PROBE_TIMEOUT = 8
# the daemon's component backoff after the server is back, the timeout, and
# a loaded machine
BOUND = PROBE_TIMEOUT + 40
ADMIN = f"harness@{DOMAIN}"
NS_COMMANDS = "http://jabber.org/protocol/commands"


@pytest.fixture(scope="module")
def gateway_options():
    return {"global": {"admins": ADMIN + ";"}, "xmpp": {"probe_timeout": PROBE_TIMEOUT}}


@pytest.fixture(scope="module")
def irc_prosody(tmp_path_factory):
    """ejabberd in the place of the IRC tests' Prosody (this module only)."""
    if not ejabberd_harness.available():
        pytest.fail("ejabberd is not installed (contrib/scripts/install-deps.sh installs it)",
                    pytrace=False)
    server = ejabberd_harness.Ejabberd(str(tmp_path_factory.mktemp("ejabberd")),
                                       components=(IRCNET, "irc.localhost"))
    server.start()
    server.create_user("harness")
    yield server
    server.stop()


def online_users(checker):
    reply = checker.iq_set(IRCNET, f"<command xmlns='{NS_COMMANDS}' node='online-users' "
                                   "action='execute'/>")
    assert reply.get("type") == "result", to_string(reply)
    return to_string(reply)


def subscribed_user_on_irc(make_irc_user, make_irc_client):
    """A user who approved the transport's subscription (XEP-0100 §4.1.1),
    online on IRCNET, in a channel with bob (raw IRC)."""
    user = make_irc_user(transports=(IRCNET,), online=False)
    user.client.wait_for_presence(IRCNET, "subscribe")
    user.client.send_presence(IRCNET, "subscribed")
    user.go_online(IRCNET)
    user.wait_on_irc()
    bob = make_irc_client("bob")
    channel = "#" + unique("ej")
    bob.join(channel)
    user.join(channel, IRCNET)
    bob.wait_for(lambda l: l.is_("JOIN", nick=user.nick, target=channel), 30,
                 f"{user.nick} to JOIN {channel}", user.logs)
    return user, bob, channel


def crash_and_restart(server, checker, gateway, while_down=lambda: None):
    server.kill()
    while_down()
    server.start()
    checker.reconnect()
    gateway.wait_ready(checker, timeout=60)


def quits(bob, nick):
    return [l for l in bob.lines() if l.is_("QUIT", nick=nick)]


def test_a_user_gone_with_the_crashed_server_is_logged_out_of_irc(
        gateway, irc_prosody, irc_checker, make_irc_user, make_irc_client):
    user, bob, _channel = subscribed_user_on_irc(make_irc_user, make_irc_client)
    assert user.jid in online_users(irc_checker)
    pid = gateway.pid

    # her session ends with the server (no unavailable presence goes out),
    # and she does not come back
    crash_and_restart(irc_prosody, irc_checker, gateway, while_down=user.client.disconnect)

    bob.wait_for(lambda l: l.is_("QUIT", nick=user.nick), BOUND,
                 f"{user.nick} to QUIT once the server did not confirm her", user.logs)
    assert user.jid not in online_users(irc_checker)
    assert re.search(rf"{re.escape(user.jid)}/\S+ is not online on the XMPP server any more",
                     gateway.output()), gateway.tail()
    assert gateway.running and gateway.pid == pid


def test_a_user_who_comes_back_after_the_crash_keeps_her_session(
        gateway, irc_prosody, irc_checker, make_irc_user, make_irc_client):
    user, bob, _channel = subscribed_user_on_irc(make_irc_user, make_irc_client)
    old_resource = user.client.full_jid
    offset = len(gateway.output())

    crash_and_restart(irc_prosody, irc_checker, gateway)
    user.reconnect()  # her client logs in again: its initial presence goes out
    new_resource = user.client.full_jid
    assert new_resource != old_resource

    # the old resource is not confirmed: it ends at the deadline, the new one stays
    util.wait_for(lambda: f"{old_resource} is not online on the XMPP server"
                  in gateway.output()[offset:], BOUND,
                  "the audit to end her old resource", gateway.log_path)
    listed = online_users(irc_checker)
    assert user.jid in listed, listed
    assert quits(bob, user.nick) == [], f"{user.nick} quit IRC although she came back"
    assert f"session of {user.jid} ended" not in gateway.output()[offset:]



def test_a_user_who_only_rejoins_her_rooms_keeps_her_session(
        gateway, irc_prosody, irc_checker, make_irc_user, make_irc_client):
    """A user who never approved the transport's subscription: the server
    answers no probe for her, and her client's initial presence does not
    reach the transport.  Her client logs in again with the same resource
    and rejoins its rooms (XEP-0045 §7.2): that presence confirms her."""
    user = make_irc_user(transports=(IRCNET,))
    user.wait_on_irc()
    bob = make_irc_client("bob")
    channel = "#" + unique("rj")
    bob.join(channel)
    room = user.join(channel, IRCNET)
    bob.wait_for(lambda l: l.is_("JOIN", nick=user.nick, target=channel), 30,
                 f"{user.nick} to JOIN {channel}", user.logs)
    resource = user.client.full_jid
    bare_jid = user.jid
    offset = len(gateway.output())

    crash_and_restart(irc_prosody, irc_checker, gateway, while_down=user.client.disconnect)
    user.client = XmppClient(resource, irc_prosody.passwords[user.jid],
                             port=irc_prosody.c2s_port).connect()
    assert user.client.full_jid == resource
    record_stream(user.client)
    join_room(user.client, room, user.nick)
    # XEP-0045 §7.2: the room answers her join, though the gateway had her
    # resource in it all along
    user.wait_presence(lambda p: p.get("from") == f"{room}/{user.nick}"
                       and 110 in statuses(p), 30, "her self-presence after the rejoin")

    gone = f"{resource} is not online on the XMPP server"

    def audit_over():
        out = gateway.output()[offset:]
        return "answered for every session" in out or "is not online on the XMPP server" in out

    # the round ends when all is confirmed, or at the deadline, where it
    # logs every resource it ends in one main-loop turn
    util.wait_for(audit_over, BOUND, "the audit to end", gateway.log_path)
    listed = online_users(irc_checker)  # a round trip: that turn is over
    assert gone not in gateway.output()[offset:], gateway.tail()
    assert bare_jid in listed, f"{listed}\n{gateway.tail()}"
    assert quits(bob, user.nick) == [], \
        f"{user.nick} quit IRC although she came back: {bob.lines()[-10:]}\n{gateway.tail()}"
