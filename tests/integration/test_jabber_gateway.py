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
import xml.etree.ElementTree as ET

import pytest

from harness import util
from harness.client import XmppClient, befriend, to_string
from harness.polygate import Polygate
from harness.prosody import DOMAIN, Prosody
from harness.xep import register_form

LEGACY = "legacy.localhost"
GATEWAY = "xmpp.localhost"
NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
CHATSTATES = "http://jabber.org/protocol/chatstates"


def contact(jid):
    """The transport JID of legacy contact @jid (XEP-0106: '@' is \\40)."""
    return jid.replace("@", "\\40") + "@" + GATEWAY


@pytest.fixture(scope="module")
def no_leak_check_for_prpl_jabber():
    """A prpl-jabber worker leaves GStreamer threads that LeakSanitizer
    cannot suspend at exit (see test_purple_forms.py): this module's daemon
    runs without leak detection, every other one with it."""
    old = os.environ.get("ASAN_OPTIONS")
    os.environ["ASAN_OPTIONS"] = ((old + ":") if old else "") + "detect_leaks=0"
    yield
    if old is None:
        del os.environ["ASAN_OPTIONS"]
    else:
        os.environ["ASAN_OPTIONS"] = old




@pytest.fixture(scope="module")
def legacy_gateway(tmp_path_factory, cert_dir, polygate_binary, no_leak_check_for_prpl_jabber):
    server = Prosody(str(tmp_path_factory.mktemp("prosody-jabber")), cert_dir,
                     components=(GATEWAY,), extra_lines=[f'VirtualHost "{LEGACY}"'])
    server.create_user("harness")
    server.create_user("legacyuser", LEGACY)
    server.create_user("buddy", LEGACY)
    server.start()
    befriend(server, f"legacyuser@{LEGACY}", f"buddy@{LEGACY}")
    checker = XmppClient(f"harness@{DOMAIN}", server.passwords[f"harness@{DOMAIN}"],
                         port=server.c2s_port).connect()
    daemon = Polygate(polygate_binary, str(tmp_path_factory.mktemp("polygate-jabber")), server,
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


def _authentications(server, jid):
    return util.log_tail(server.log_path, 100000).count(f"Authenticated as {jid}")


def _question(user, start):
    """The first question from the transport itself after message @start."""
    def is_question(m):
        body = m.find("{jabber:client}body")
        return (m.get("from") == GATEWAY and body is not None
                and body.text.startswith("Question from the legacy network"))
    return user.wait_every_message(lambda m: m in user.every_message[start:] and is_question(m),
                                   timeout=60, what="the certificate question")


def _answer_by_adhoc(user, label):
    """XEP-0050: run answer-question, pick @label, submit."""
    reply = user.iq_set(GATEWAY, f"<command xmlns='{NS_COMMANDS}' node='answer-question' "
                                 "action='execute'/>")
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command is not None and command.get("status") == "executing", to_string(reply)
    form = command.find(f"{{{NS_DATA}}}x")
    fields = {f.get("var"): f for f in form.findall(f"{{{NS_DATA}}}field")}
    question = fields["question"].find(f"{{{NS_DATA}}}value").text
    options = {o.get("label"): o.find(f"{{{NS_DATA}}}value").text
               for o in fields["answer"].findall(f"{{{NS_DATA}}}option")}
    assert label in options, options
    submit = (f"<command xmlns='{NS_COMMANDS}' node='answer-question' "
              f"sessionid='{command.get('sessionid')}' action='complete'>"
              f"<x xmlns='{NS_DATA}' type='submit'>"
              f"<field var='question'><value>{question}</value></field>"
              f"<field var='answer'><value>{options[label]}</value></field></x></command>")
    done = user.iq_set(GATEWAY, submit).find(f"{{{NS_COMMANDS}}}command")
    assert done is not None and done.get("status") == "completed"


def test_certificate_prompt_by_adhoc_then_chat_and_typing_both_ways_and_asked_once(
        legacy_gateway):
    server, daemon, checker = legacy_gateway
    legacy_jid, buddy_jid = f"legacyuser@{LEGACY}", f"buddy@{LEGACY}"
    jid = server.create_user(f"jab{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    buddy = XmppClient(buddy_jid, server.passwords[buddy_jid], port=server.c2s_port).connect()
    try:
        reply = user.iq_set(GATEWAY, register_form({
            "username": "legacyuser", "split.domain": LEGACY,
            "password": server.passwords[legacy_jid],
            "option.connect_server": "127.0.0.1", "option.port": str(server.c2s_port)}))
        assert reply.get("type") == "result", to_string(reply)

        # the legacy network's certificate question reaches the user
        start = len(user.every_message)
        before = _authentications(server, legacy_jid)
        user.send_presence(to=GATEWAY)
        question = _question(user, start).find("{jabber:client}body").text
        assert "Accept certificate for 127.0.0.1?" in question, question
        assert "1. Accept" in question and "2. Reject" in question, question
        _answer_by_adhoc(user, "Accept")
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
    legacy_jid = f"legacyuser@{LEGACY}"
    jid = server.create_user(f"rej{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    try:
        reply = user.iq_set(GATEWAY, register_form({
            "username": "legacyuser", "split.domain": LEGACY,
            "password": server.passwords[legacy_jid],
            "option.connect_server": "127.0.0.1", "option.port": str(server.c2s_port)}))
        assert reply.get("type") == "result", to_string(reply)
        start = len(user.every_message)
        user.send_presence(to=GATEWAY)
        _question(user, start)
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
