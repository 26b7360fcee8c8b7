"""Legacy buddies become contacts (issue 9, item 5, the ladder's bottom rung).

prpl-jabber logs in to legacy.localhost (a second Prosody host) as an
account whose roster already holds a buddy, `pal`, named "Pal".  The user
on localhost gets a subscription request from pal's transport JID with
its nickname (XEP-0172), approves it, and then sees pal's presence change
on the legacy network: away with a status text, then offline.  The user's
own presence reaches the legacy network as the account's status.  A
contact the user adds to their roster is added to the legacy account's
roster, and removed from it when the user removes it; a request the user
declines leaves the legacy buddy where it is.

Run: POLYGATE_BIN=build-test/src/polygate /usr/bin/python3 -m pytest \
     tests/integration/test_jabber_roster.py
"""

import os

import pytest

from harness import util
from harness.client import XmppClient, befriend, to_string
from harness.polygate import Polygate
from harness.prosody import DOMAIN, Prosody
from harness.xep import register_form
from test_jabber_gateway import (  # noqa: F401 (a fixture)
    GATEWAY, LEGACY, _answer_by_adhoc, _question, contact, no_leak_check_for_prpl_jabber)

NS_NICK = "http://jabber.org/protocol/nick"
NS_ROSTER = "jabber:iq:roster"


@pytest.fixture(scope="module")
def roster_gateway(tmp_path_factory, cert_dir, polygate_binary,
                   no_leak_check_for_prpl_jabber):
    server = Prosody(str(tmp_path_factory.mktemp("prosody-roster")), cert_dir,
                     components=(GATEWAY,), extra_lines=[f'VirtualHost "{LEGACY}"'])
    server.create_user("harness")
    for name in ("rosteruser", "pal", "newpal", "keeper"):
        server.create_user(name, LEGACY)
    server.start()
    legacy_jid, pal_jid = f"rosteruser@{LEGACY}", f"pal@{LEGACY}"
    befriend(server, legacy_jid, pal_jid)
    befriend(server, legacy_jid, f"keeper@{LEGACY}")
    # the legacy account names its buddy: the name is the contact's nickname
    owner = XmppClient(legacy_jid, server.passwords[legacy_jid], port=server.c2s_port).connect()
    try:
        reply = owner.iq_set(legacy_jid, f"<query xmlns='{NS_ROSTER}'>"
                                         f"<item jid='{pal_jid}' name='Pal'/></query>")
        assert reply.get("type") == "result", to_string(reply)
    finally:
        owner.disconnect()
    checker = XmppClient(f"harness@{DOMAIN}", server.passwords[f"harness@{DOMAIN}"],
                         port=server.c2s_port).connect()
    daemon = Polygate(polygate_binary, str(tmp_path_factory.mktemp("polygate-roster")), server,
                      transports=[{"name": "xmpp", "jid": GATEWAY, "type": "purple",
                                   "display": "XMPP gateway", "purple_protocol": "prpl-jabber"}])
    try:
        daemon.start(checker, timeout=60)
        yield server, daemon, checker
    finally:
        checker.disconnect()
        try:
            daemon.stop()
        finally:
            server.stop()


def _show_and_status(presence):
    return (presence.findtext("{jabber:client}show"), presence.findtext("{jabber:client}status"))


def _roster(client, jid):
    reply = client.iq_get(jid, f"<query xmlns='{NS_ROSTER}'/>")
    return {item.get("jid"): item.get("name") for item in reply.iter(f"{{{NS_ROSTER}}}item")}


def test_a_legacy_buddy_asks_to_subscribe_its_presence_follows_and_the_user_adds_one(
        roster_gateway):
    server, daemon, _ = roster_gateway
    legacy_jid, pal_jid, newpal_jid, keeper_jid = (f"rosteruser@{LEGACY}", f"pal@{LEGACY}",
                                                   f"newpal@{LEGACY}", f"keeper@{LEGACY}")
    jid = server.create_user(f"ros{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    pal = XmppClient(pal_jid, server.passwords[pal_jid], port=server.c2s_port).connect()
    newpal = XmppClient(newpal_jid, server.passwords[newpal_jid], port=server.c2s_port).connect()
    owner = None
    try:
        reply = user.iq_set(GATEWAY, register_form({
            "username": "rosteruser", "split.domain": LEGACY,
            "password": server.passwords[legacy_jid],
            "option.connect_server": "127.0.0.1", "option.port": str(server.c2s_port)}))
        assert reply.get("type") == "result", to_string(reply)
        start = len(user.every_message)
        user.send_presence(to=GATEWAY)
        _question(user, start)
        _answer_by_adhoc(user, "Accept")

        # the bottom rung of the roster ladder: the buddy asks to be added,
        # with its name on the legacy network (XEP-0172 §4.2)
        pal_contact = contact(pal_jid)
        asked = user.wait_for_presence(from_=pal_contact, ptype="subscribe", timeout=60)
        assert asked.findtext(f"{{{NS_NICK}}}nick") == "Pal", to_string(asked)
        user.send_presence(to=pal_contact, ptype="subscribed")
        user.send_presence(to=pal_contact, ptype="subscribe")
        user.wait_for_presence(from_=pal_contact, ptype="subscribed", timeout=30)
        user.wait_for_presence(from_=pal_contact, ptype="available", timeout=30)
        # declining a buddy's request (RFC 6121 §3.2) is not removing it
        user.wait_for_presence(from_=contact(keeper_jid), ptype="subscribe", timeout=30)
        user.send_presence(to=contact(keeper_jid), ptype="unsubscribed")

        # the user's presence becomes the legacy account's status
        user.send_raw(f"<presence to='{GATEWAY}'><show>dnd</show><status>in a meeting"
                      "</status></presence>")
        util.wait_for(lambda: [p for p in pal.presences(from_=legacy_jid)
                               if _show_and_status(p) == ("dnd", "in a meeting")],
                      30, "the user's dnd status on the legacy network", daemon.log_path)

        # the buddy's presence changes on the legacy network
        user.consume_presences()
        pal.send_raw("<presence><show>away</show><status>out to lunch</status></presence>")
        util.wait_for(lambda: [p for p in user.presences(from_=pal_contact, ptype="available")
                               if _show_and_status(p) == ("away", "out to lunch")],
                      30, "the buddy's away presence with its status", daemon.log_path)
        pal.disconnect()
        user.wait_for_presence(from_=pal_contact, ptype="unavailable", timeout=30)

        # a contact the user adds is added to the legacy account's roster...
        newpal_contact = contact(newpal_jid)
        user.send_raw(f"<presence to='{newpal_contact}' type='subscribe'>"
                      f"<nick xmlns='{NS_NICK}'>New Pal</nick></presence>")
        user.wait_for_presence(from_=newpal_contact, ptype="subscribed", timeout=30)
        newpal.wait_for_presence(from_=legacy_jid, ptype="subscribe", timeout=30)
        owner = XmppClient(legacy_jid, server.passwords[legacy_jid],
                           port=server.c2s_port).connect()
        util.wait_for(lambda: newpal_jid in _roster(owner, legacy_jid), 30,
                      "the added contact in the legacy roster", daemon.log_path)
        # named as the user named it in the request (XEP-0172 §4.2)
        assert _roster(owner, legacy_jid)[newpal_jid] == "New Pal"
        # the worker changes the legacy roster in the order it was asked: a
        # removal for the declined buddy would have come before this add
        assert keeper_jid in _roster(owner, legacy_jid)
        # ...and removed from it when the user removes it (RFC 6121 §3.3)
        user.send_presence(to=newpal_contact, ptype="unsubscribe")
        util.wait_for(lambda: newpal_jid not in _roster(owner, legacy_jid), 30,
                      "the removed contact gone from the legacy roster", daemon.log_path)
    finally:
        for client in (user, pal, newpal, owner):
            if client is not None:
                client.disconnect()
