"""What a legacy contact shows the user's client (issue 9, item 5), with
prpl-jabber against a second Prosody host as the legacy network:

- XEP-0203: a message the legacy server kept offline (mod_offline on
  legacy.localhost) reaches the user with its original time, stamped by
  the transport;
- XEP-0115: the contact's presence carries caps whose verification string
  the contact's own disco#info answer hashes to (XEP-0115 §5.1), asked
  with and without node#ver;
- XEP-0184: the contact claims receipts and carries real ones both ways:
  the user gets one only when the legacy buddy's client answered, and the
  buddy only when the user's client did; a request nobody answers gets
  no receipt.

Run: POLYGATE_BIN=build-test/src/polygate /usr/bin/python3 -m pytest \
     tests/integration/test_jabber_contacts.py
"""

import base64
import calendar
import hashlib
import os
import time

import pytest

from harness import util
from harness.client import XmppClient, to_string
from harness.jabber import (  # noqa: F401 (a fixture)
    GATEWAY, LEGACY, contact, gateway_prosody, no_leak_check_for_prpl_jabber,
    register_and_log_in, serving)

NS_CAPS = "http://jabber.org/protocol/caps"
NS_DELAY = "urn:xmpp:delay"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_RECEIPTS = "urn:xmpp:receipts"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"


@pytest.fixture(scope="module")
def contacts_gateway(tmp_path_factory, cert_dir, polygate_binary,
                     no_leak_check_for_prpl_jabber):
    # the legacy host keeps messages for offline accounts (XEP-0160)
    server = gateway_prosody(tmp_path_factory.mktemp("prosody-contacts"), cert_dir,
                             ("contactuser", "pal", "avataruser", "painter", "rcptuser",
                              "rcptpal"),
                             friends=[("contactuser", "pal"), ("avataruser", "painter"),
                                      ("rcptuser", "rcptpal")],
                             vhost_lines=['  modules_enabled = { "offline", "vcard" }'])
    with serving(server, polygate_binary, tmp_path_factory.mktemp("polygate-contacts")) as gateway:
        yield gateway


def caps_ver(query):
    """XEP-0115 §5.1 over a disco#info <query/>, as a client computes it."""
    identities = sorted(
        "/".join((i.get("category") or "", i.get("type") or "",
                  i.get("{http://www.w3.org/XML/1998/namespace}lang") or "",
                  i.get("name") or ""))
        for i in query.findall(f"{{{NS_DISCO_INFO}}}identity"))
    features = sorted(f.get("var") for f in query.findall(f"{{{NS_DISCO_INFO}}}feature"))
    text = "".join(s + "<" for s in identities + features)
    return base64.b64encode(hashlib.sha1(text.encode()).digest()).decode()


def test_caps_helper_agrees_with_xep_0115_example():
    import xml.etree.ElementTree as ET
    query = ET.fromstring(
        f"<query xmlns='{NS_DISCO_INFO}'><identity category='client' name='Exodus 0.9.1' "
        "type='pc'/><feature var='http://jabber.org/protocol/caps'/>"
        f"<feature var='{NS_DISCO_INFO}'/>"
        "<feature var='http://jabber.org/protocol/disco#items'/>"
        "<feature var='http://jabber.org/protocol/muc'/></query>")
    assert caps_ver(query) == "QgayPKawpkPSDYmwT/WM94uAlu0="


def _stamp_seconds(stamp):
    """XEP-0082 DateTime 'YYYY-MM-DDThh:mm:ss[.sss]Z' as Unix seconds."""
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))


def test_offline_message_keeps_its_time_and_contact_caps_verify(
        contacts_gateway):
    server, daemon, _ = contacts_gateway
    legacy_jid, pal_jid = f"contactuser@{LEGACY}", f"pal@{LEGACY}"
    pal_contact = contact(pal_jid)
    jid = server.create_user(f"con{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    pal = XmppClient(pal_jid, server.passwords[pal_jid], port=server.c2s_port).connect()
    try:
        # the legacy account is offline: its server keeps pal's message
        sent_at = int(time.time())
        pal.send_raw(f"<message to='{legacy_jid}' type='chat' id='kept1'>"
                     "<body>while you were out</body></message>")
        # a round trip after it: the server has taken (and stored) the message
        reply = pal.iq_get(LEGACY, f"<query xmlns='{NS_DISCO_INFO}'/>")
        assert reply.get("type") == "result", to_string(reply)
        # The stamp must be told apart from the time of delivery: wait until
        # the clock itself has moved on (the event here is the clock).
        util.wait_for(lambda: time.time() >= sent_at + 4, 10, "the clock to pass the message")

        register_and_log_in(user, server, "contactuser")

        # XEP-0203: the kept message, with the time it was sent
        kept = user.wait_every_message(
            lambda m: m.get("from") == pal_contact and
            m.findtext("{jabber:client}body") == "while you were out", timeout=60,
            what="the message kept offline by the legacy server")
        delay = kept.find(f"{{{NS_DELAY}}}delay")
        assert delay is not None, to_string(kept)
        assert delay.get("from") == GATEWAY, to_string(kept)
        assert abs(_stamp_seconds(delay.get("stamp")) - sent_at) <= 2, to_string(kept)
        # a late message says nothing of the contact's state now (XEP-0085)
        assert kept.find(f"{{{NS_CHATSTATES}}}active") is None, to_string(kept)

        # the user takes the contact into the roster (the ladder's bottom rung)
        user.wait_for_presence(from_=pal_contact, ptype="subscribe", timeout=60)
        user.send_presence(to=pal_contact, ptype="subscribed")
        user.send_presence(to=pal_contact, ptype="subscribe")
        user.wait_for_presence(from_=pal_contact, ptype="subscribed", timeout=30)
        # XEP-0115: the contact's presence carries caps...
        presence = user.wait_for_presence(from_=pal_contact, ptype="available", timeout=30)
        c = presence.find(f"{{{NS_CAPS}}}c")
        assert c is not None and c.get("hash") == "sha-1", to_string(presence)
        node, ver = c.get("node"), c.get("ver")
        # ...that its disco#info answer verifies (§5.4), asked with node#ver...
        reply = user.iq_get(pal_contact, f"<query xmlns='{NS_DISCO_INFO}' node='{node}#{ver}'/>")
        assert reply.get("type") == "result", to_string(reply)
        query = reply.find(f"{{{NS_DISCO_INFO}}}query")
        assert query.get("node") == f"{node}#{ver}", to_string(reply)
        assert caps_ver(query) == ver, to_string(reply)
        # ...and without a node
        reply = user.iq_get(pal_contact, f"<query xmlns='{NS_DISCO_INFO}'/>")
        query = reply.find(f"{{{NS_DISCO_INFO}}}query")
        assert caps_ver(query) == ver, to_string(reply)
        features = {f.get("var") for f in query.findall(f"{{{NS_DISCO_INFO}}}feature")}
        assert NS_CHATSTATES in features, features
        # XEP-0184 §6: prpl-jabber's contacts carry receipts (pg-receipts.c)
        assert NS_RECEIPTS in features, features

        # a live message has no delay
        pal.send_raw(f"<message to='{legacy_jid}' type='chat'><body>now live</body></message>")
        live = user.wait_every_message(
            lambda m: m.get("from") == pal_contact and
            m.findtext("{jabber:client}body") == "now live", timeout=30, what="the live message")
        assert live.find(f"{{{NS_DELAY}}}delay") is None, to_string(live)

        # a receipt request pal's client does not answer gets no receipt:
        # the message reaches pal...
        user.send_raw(f"<message to='{pal_contact}' type='chat' id='r1'>"
                      f"<body>got it?</body><request xmlns='{NS_RECEIPTS}'/></message>")
        pal.wait_every_message(lambda m: m.findtext("{jabber:client}body") == "got it?",
                               timeout=30, what="the user's message")
        # ...and a disco round trip through the same component stream
        # comes back after anything the gateway sent in answer to it
        user.iq_get(pal_contact, f"<query xmlns='{NS_DISCO_INFO}'/>")
        receipts = [to_string(m) for m in user.every_message
                    if m.find(f"{{{NS_RECEIPTS}}}received") is not None]
        assert not receipts, receipts
    finally:
        user.disconnect()
        pal.disconnect()


def _received(message, stanza_id):
    received = message.find(f"{{{NS_RECEIPTS}}}received")
    return received is not None and received.get("id") == stanza_id


def test_receipts_cross_the_gateway_only_when_a_client_answers(contacts_gateway):
    """XEP-0184 end to end: the user's request reaches the legacy buddy's
    client, whose answer becomes the user's receipt; the buddy's request
    reaches the user's client, whose answer becomes the buddy's.  Until a
    client answers, nobody gets a receipt."""
    server, daemon, _ = contacts_gateway
    legacy_jid, pal_jid = f"rcptuser@{LEGACY}", f"rcptpal@{LEGACY}"
    pal_contact = contact(pal_jid)
    jid = server.create_user(f"rcpt{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    pal = XmppClient(pal_jid, server.passwords[pal_jid], port=server.c2s_port).connect()
    try:
        register_and_log_in(user, server, "rcptuser")
        # the legacy buddy list arrived: the account is signed on
        user.wait_for_presence(from_=pal_contact, ptype="subscribe", timeout=60)

        # user -> buddy: the request reaches pal's client with an id...
        user.send_raw(f"<message to='{pal_contact}' type='chat' id='u1'>"
                      f"<body>hello pal</body><request xmlns='{NS_RECEIPTS}'/></message>")
        asked = pal.wait_every_message(
            lambda m: m.findtext("{jabber:client}body") == "hello pal", timeout=30,
            what="the user's message at the buddy")
        assert asked.find(f"{{{NS_RECEIPTS}}}request") is not None, to_string(asked)
        assert asked.get("id"), to_string(asked)
        # ...no receipt before pal's client answers (a round trip through
        # the component stream comes back after anything sent before it)
        user.iq_get(pal_contact, f"<query xmlns='{NS_DISCO_INFO}'/>")
        assert not [m for m in user.every_message
                    if m.find(f"{{{NS_RECEIPTS}}}received") is not None]
        # ...and pal's client's answer becomes the user's receipt, with the
        # user's own id (XEP-0184 §5.3)
        pal.send_raw(f"<message to='{asked.get('from')}'>"
                     f"<received xmlns='{NS_RECEIPTS}' id='{asked.get('id')}'/></message>")
        got = user.wait_every_message(
            lambda m: m.get("from") == pal_contact and _received(m, "u1"), timeout=30,
            what="the receipt from the buddy's client")
        assert got.get("to") == user.full_jid, to_string(got)

        # buddy -> user: pal's request reaches the user's client...
        pal.send_raw(f"<message to='{legacy_jid}' type='chat' id='p1'>"
                     f"<body>hello user</body><request xmlns='{NS_RECEIPTS}'/></message>")
        mine = user.wait_every_message(
            lambda m: m.get("from") == pal_contact and
            m.findtext("{jabber:client}body") == "hello user", timeout=30,
            what="the buddy's message at the user")
        assert mine.find(f"{{{NS_RECEIPTS}}}request") is not None, to_string(mine)
        assert mine.get("id"), to_string(mine)
        # ...pal gets nothing until the user's client answers...
        pal.iq_get(LEGACY, f"<query xmlns='{NS_DISCO_INFO}'/>")
        user.iq_get(pal_contact, f"<query xmlns='{NS_DISCO_INFO}'/>")
        assert not [m for m in pal.every_message if _received(m, "p1")]
        # ...and then gets its receipt, for its own id
        user.send_raw(f"<message to='{pal_contact}'>"
                      f"<received xmlns='{NS_RECEIPTS}' id='{mine.get('id')}'/></message>")
        pal.wait_every_message(lambda m: _received(m, "p1"), timeout=30,
                               what="the receipt from the user's client")
    finally:
        user.disconnect()
        pal.disconnect()


# a 1x1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
                       "hQGAhKmMIQAAAABJRU5ErkJggg==")
NS_VCARD = "vcard-temp"
NS_VCARD_UPDATE = "vcard-temp:x:update"


def test_a_buddy_icon_becomes_the_contacts_vcard_avatar(contacts_gateway):
    """XEP-0153: the legacy buddy publishes a picture (vCard PHOTO and the
    hash in its presence); prpl-jabber fetches it; the contact's presence
    carries the hash and its vCard the same picture."""
    server, daemon, _ = contacts_gateway
    painter_jid = f"painter@{LEGACY}"
    painter_contact = contact(painter_jid)
    photo_hash = hashlib.sha1(PNG).hexdigest()
    jid = server.create_user(f"ava{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    painter = XmppClient(painter_jid, server.passwords[painter_jid],
                         port=server.c2s_port).connect()
    try:
        # mod_vcard takes a set only without 'to' (its own account)
        painter.send_raw(f"<iq type='set' id='vc1'><vCard xmlns='{NS_VCARD}'><PHOTO>"
                         f"<TYPE>image/png</TYPE><BINVAL>{base64.b64encode(PNG).decode()}"
                         "</BINVAL></PHOTO></vCard></iq>")
        util.wait_for(lambda: painter.iq_get(painter_jid, f"<vCard xmlns='{NS_VCARD}'/>")
                      .find(f"{{{NS_VCARD}}}vCard/{{{NS_VCARD}}}PHOTO") is not None, 30,
                      "the buddy's vCard with its picture")
        painter.send_raw(f"<presence><x xmlns='{NS_VCARD_UPDATE}'><photo>{photo_hash}</photo>"
                         "</x></presence>")

        register_and_log_in(user, server, "avataruser")
        user.wait_for_presence(from_=painter_contact, ptype="subscribe", timeout=60)
        user.send_presence(to=painter_contact, ptype="subscribed")

        def with_photo():
            return [p for p in user.presences(from_=painter_contact, ptype="available")
                    if p.findtext(f"{{{NS_VCARD_UPDATE}}}x/{{{NS_VCARD_UPDATE}}}photo")
                    == photo_hash]
        util.wait_for(with_photo, 60, "the contact's presence with the picture's hash",
                      daemon.log_path)
        reply = user.iq_get(painter_contact, f"<vCard xmlns='{NS_VCARD}'/>")
        assert reply.get("type") == "result", to_string(reply)
        binval = reply.findtext(f"{{{NS_VCARD}}}vCard/{{{NS_VCARD}}}PHOTO/{{{NS_VCARD}}}BINVAL")
        assert binval is not None and base64.b64decode(binval) == PNG, to_string(reply)
        assert reply.findtext(f"{{{NS_VCARD}}}vCard/{{{NS_VCARD}}}PHOTO/{{{NS_VCARD}}}TYPE") \
            == "image/png"
    finally:
        user.disconnect()
        painter.disconnect()
