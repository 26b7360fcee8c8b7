"""Legacy buddies become contacts (issue 9, item 5: the roster ladder's
fallbacks, on a Prosody without mod_privilege; the top rung is
test_jabber_roster_ladder.py).

The bottom rung, subscription requests:

prpl-jabber logs in to legacy.localhost (a second Prosody host) as an
account whose roster already holds a buddy, `pal`, named "Pal".  The user
on localhost gets a subscription request from pal's transport JID with
its nickname (XEP-0172), approves it, and then sees pal's presence change
on the legacy network: away with a status text, then offline.  The user's
own presence reaches the legacy network as the account's status.  A
contact the user adds to their roster is added to the legacy account's
roster, and removed from it when the user removes it; a request the user
declines leaves the legacy buddy where it is.

The middle rung, XEP-0144: a user whose client advertises roster item
exchange gets the buddy list as suggestions (named and grouped), and no
subscription requests; the ad-hoc command says "rosterx", and a user who
forges the server's XEP-0356 grant changes nothing.

Run: POLYGATE_BIN=build-test/src/polygate /usr/bin/python3 -m pytest \
     tests/integration/test_jabber_roster.py
"""

import os

import pytest

from harness import util
from harness.client import XmppClient, befriend, to_string
from harness.jabber import (  # noqa: F401 (a fixture)
    GATEWAY, LEGACY, NS_ROSTER, contact, forge_privilege, gateway_prosody,
    no_leak_check_for_prpl_jabber, register_and_log_in, roster_command, serving,
    set_roster_item)

NS_NICK = "http://jabber.org/protocol/nick"
NS_ROSTERX = "http://jabber.org/protocol/rosterx"


@pytest.fixture(scope="module")
def roster_gateway(tmp_path_factory, cert_dir, polygate_binary,
                   no_leak_check_for_prpl_jabber):
    legacy_jid, pal_jid = f"rosteruser@{LEGACY}", f"pal@{LEGACY}"
    server = gateway_prosody(tmp_path_factory.mktemp("prosody-roster"), cert_dir,
                             ("rosteruser", "pal", "newpal", "keeper"),
                             friends=[("rosteruser", "pal"), ("rosteruser", "keeper")])
    # the legacy account names its buddy: the name is the contact's nickname
    set_roster_item(server, legacy_jid, f"<item jid='{pal_jid}' name='Pal'/>")
    with serving(server, polygate_binary, tmp_path_factory.mktemp("polygate-roster")) as gateway:
        yield gateway


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
        register_and_log_in(user, server, "rosteruser")

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


def test_a_client_with_roster_item_exchange_is_offered_the_buddy_list(roster_gateway):
    server, daemon, _ = roster_gateway
    legacy_jid, buddy_jid = f"xchguser@{LEGACY}", f"xpal@{LEGACY}"
    for name in ("xchguser", "xpal"):
        server.create_user(name, LEGACY)
    befriend(server, legacy_jid, buddy_jid)
    set_roster_item(server, legacy_jid,
                    f"<item jid='{buddy_jid}' name='X Pal'><group>Work</group></item>")
    buddy_contact = contact(buddy_jid)
    owner = None
    jid = server.create_user(f"xch{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port,
                      features=[NS_ROSTERX]).connect()
    try:
        register_and_log_in(user, server, "xchguser")

        # XEP-0144: the list comes as suggestions to this client
        def offered(m):
            x = m.find(f"{{{NS_ROSTERX}}}x")
            return (m.get("from") == GATEWAY and x is not None
                    and [i for i in x.findall(f"{{{NS_ROSTERX}}}item")
                         if i.get("jid") == buddy_contact])
        message = user.wait_every_message(offered, timeout=60, what="a roster item exchange")
        assert message.get("to") == user.full_jid, to_string(message)
        item = [i for i in message.find(f"{{{NS_ROSTERX}}}x") if i.get("jid") == buddy_contact][0]
        assert item.get("action") == "add" and item.get("name") == "X Pal", to_string(message)
        assert [g.text for g in item.findall(f"{{{NS_ROSTERX}}}group")] == ["Work"]
        assert not user.presences(from_=buddy_contact, ptype="subscribe")
        assert roster_command(user)[0] == "rosterx"

        # no mod_privilege here: a user's forged grant changes nothing
        assert forge_privilege(user) == ("auth", "forbidden")
        assert roster_command(user)[0] == "rosterx"

        # the client takes the suggestion as clients do: it adds the item
        # and asks for the contact's presence (approved by the gateway)
        reply = user.iq_set(jid, f"<query xmlns='{NS_ROSTER}'><item jid='{buddy_contact}' "
                                 "name='X Pal'><group>Work</group></item></query>")
        assert reply.get("type") == "result", to_string(reply)
        user.send_presence(to=buddy_contact, ptype="subscribe")
        user.wait_for_presence(from_=buddy_contact, ptype="subscribed", timeout=30)
        # removing it removes the legacy buddy on this rung too (RFC 6121
        # §2.5.2: the server unsubscribes from a contact it removes)
        reply = user.iq_set(jid, f"<query xmlns='{NS_ROSTER}'><item jid='{buddy_contact}' "
                                 "subscription='remove'/></query>")
        assert reply.get("type") == "result", to_string(reply)
        owner = XmppClient(legacy_jid, server.passwords[legacy_jid],
                           port=server.c2s_port).connect()
        util.wait_for(lambda: buddy_jid not in _roster(owner, legacy_jid), 30,
                      "the removed contact gone from the legacy roster", daemon.log_path)
    finally:
        for client in (user, owner):
            if client is not None:
                client.disconnect()
