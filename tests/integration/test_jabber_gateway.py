"""A `purple` transport running prpl-jabber, end to end (issue 9).

XMPP is the "legacy network": Prosody serves the user's host (localhost)
and a second host, legacy.localhost, with STARTTLS and the run's
self-signed certificate.  A user on localhost registers with the transport
through its generated form (the options point prpl-jabber at this Prosody),
is asked by the legacy network to accept its certificate, answers with
XEP-0050, and then chats and types with a buddy on legacy.localhost (a
slixmpp client) both ways.  A gateway restart keeps the accepted
certificate: the second login asks nothing.

Run: POLYGATE_BIN=build-test/src/polygate /usr/bin/python3 -m pytest \
     tests/integration/test_jabber_gateway.py
"""

import os

import pytest

from harness import util
from harness.client import XmppClient, to_string
from harness.jabber import (  # noqa: F401 (a fixture)
    GATEWAY, LEGACY, answer_by_adhoc, contact, gateway_prosody, no_leak_check_for_prpl_jabber,
    question, register, serving)

CHATSTATES = "http://jabber.org/protocol/chatstates"


@pytest.fixture(scope="module")
def legacy_gateway(tmp_path_factory, cert_dir, polygate_binary, no_leak_check_for_prpl_jabber):
    server = gateway_prosody(tmp_path_factory.mktemp("prosody-jabber"), cert_dir,
                             ("legacyuser", "buddy"), friends=[("legacyuser", "buddy")])
    with serving(server, polygate_binary, tmp_path_factory.mktemp("polygate-jabber")) as gateway:
        yield gateway


def _authentications(server, jid):
    return util.log_tail(server.log_path, 100000).count(f"Authenticated as {jid}")


def test_certificate_prompt_by_adhoc_then_chat_and_typing_both_ways_and_asked_once(
        legacy_gateway):
    server, daemon, checker = legacy_gateway
    legacy_jid, buddy_jid = f"legacyuser@{LEGACY}", f"buddy@{LEGACY}"
    jid = server.create_user(f"jab{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    buddy = XmppClient(buddy_jid, server.passwords[buddy_jid], port=server.c2s_port).connect()
    try:
        register(user, server, "legacyuser")

        # the legacy network's certificate question reaches the user
        start = len(user.every_message)
        before = _authentications(server, legacy_jid)
        user.send_presence(to=GATEWAY)
        prompt = question(user, start).find("{jabber:client}body").text
        assert "Accept certificate for 127.0.0.1?" in prompt, prompt
        assert "1. Accept" in prompt and "2. Reject" in prompt, prompt
        answer_by_adhoc(user, "Accept")
        util.wait_for(lambda: _authentications(server, legacy_jid) > before, 60,
                      f"{legacy_jid} to log in after the certificate was accepted",
                      daemon.log_path)

        # messages both ways
        user.send_raw(f"<message to='{contact(buddy_jid)}' type='chat'>"
                      "<body>hello &lt;buddy&gt; &amp; co</body></message>")
        got = buddy.wait_every_message(
            lambda m: m.find("{jabber:client}body") is not None, timeout=30, what="the message")
        assert got.find("{jabber:client}body").text == "hello <buddy> & co"
        buddy.send_raw(f"<message to='{got.get('from')}' type='chat'><body>hi back</body>"
                       f"<active xmlns='{CHATSTATES}'/></message>")
        reply = user.wait_every_message(
            lambda m: m.get("from") == contact(buddy_jid) and
            m.find("{jabber:client}body") is not None, timeout=30, what="the buddy's reply")
        assert reply.find("{jabber:client}body").text == "hi back"

        # typing both ways (XEP-0085)
        buddy.send_raw(f"<message to='{got.get('from')}' type='chat'>"
                       f"<composing xmlns='{CHATSTATES}'/></message>")
        user.wait_every_message(
            lambda m: m.get("from") == contact(buddy_jid) and
            m.find(f"{{{CHATSTATES}}}composing") is not None, timeout=30,
            what="the buddy's <composing/>")
        user.send_raw(f"<message to='{contact(buddy_jid)}' type='chat'>"
                      f"<composing xmlns='{CHATSTATES}'/></message>")
        buddy.wait_every_message(lambda m: m.find(f"{{{CHATSTATES}}}composing") is not None,
                                 timeout=30, what="the user's <composing/>")

        # a gateway restart: the accepted certificate was kept (sealed in
        # the registry), so the next login asks nothing
        daemon.stop()
        daemon.start(checker, timeout=60)
        start = len(user.every_message)
        before = _authentications(server, legacy_jid)
        user.send_presence(to=GATEWAY, ptype="unavailable")
        user.send_presence(to=GATEWAY)
        util.wait_for(lambda: _authentications(server, legacy_jid) > before, 60,
                      f"{legacy_jid} to log in again after the restart", daemon.log_path)
        asked = [to_string(m) for m in user.every_message[start:]
                 if m.get("from") == GATEWAY and "Question" in (to_string(m))]
        assert not asked, asked
    finally:
        user.disconnect()
        buddy.disconnect()


def test_a_certificate_rejected_by_chat_ends_the_login_and_tells_the_user(legacy_gateway):
    """For clients without ad-hoc commands: the answer is a chat message to
    the transport's JID.  Rejecting the certificate ends the login, and the
    user is told why (issue 9: the user was never told)."""
    server, daemon, checker = legacy_gateway
    jid = server.create_user(f"rej{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    try:
        register(user, server, "legacyuser")
        start = len(user.every_message)
        user.send_presence(to=GATEWAY)
        question(user, start)
        # not a choice: a hint, and the question stays
        user.send_raw(f"<message to='{GATEWAY}' type='chat'><body>maybe</body></message>")
        user.wait_every_message(
            lambda m: m.get("from") == GATEWAY and "with a number from 1 to 3" in
            (m.findtext("{jabber:client}body") or ""), timeout=30, what="the hint")
        user.send_raw(f"<message to='{GATEWAY}' type='chat'><body>2</body></message>")
        told = user.wait_every_message(
            lambda m: m.get("from") == GATEWAY and "Cannot connect" in
            (m.findtext("{jabber:client}body") or ""), timeout=30, what="why the login failed")
        assert "certificate" in told.findtext("{jabber:client}body").lower(), to_string(told)
    finally:
        user.disconnect()
