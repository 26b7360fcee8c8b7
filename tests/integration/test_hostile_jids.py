"""Hostile `to` JIDs on every transport (issue 8: "One JID boundary").

A registered user sends messages, presences and IQs to addresses of every odd
shape on irc.localhost, sms.localhost and purple.localhost.  Each case passes
only if the expected stanza error comes back, the daemon's PID is unchanged,
no component reconnected, and every transport still answers a ping.

Some shapes (2 KB local parts, spaces, C1 controls) are refused by Prosody
itself with jid-malformed before they reach the daemon; the test only asks
that the user gets that error and the daemon stays up.  The others reach the
daemon, whose JID boundary (src/xmpp/pg-transport.c) answers them.

The wrong-domain case needs a stanza for irc.localhost arriving on the SMS
component, as ejabberd's `global_routes: true` does.  Prosody never routes
that way, so a test-only module (prosody-modules/mod_pg_misroute.lua) hands
stanzas sent to misroute.localhost to the SMS component with their domain
rewritten to irc.localhost.
"""

import itertools
import os
from xml.sax.saxutils import quoteattr

import pytest
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from harness import util
from harness.client import NS_CLIENT, XmppClient, error_condition, to_string
from harness.prosody import DOMAIN, EVIL_DOMAIN, Prosody
from harness.xep import NS_DISCO_INFO, NS_PING, register_form

IRC = "irc.localhost"
SMS = "sms.localhost"
PURPLE = "purple.localhost"
MISROUTE = "misroute.localhost"
MODULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prosody-modules")

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def prosody(tmp_path_factory, cert_dir):
    """Prosody as in conftest.py, plus the misrouting component."""
    server = Prosody(str(tmp_path_factory.mktemp("prosody")), cert_dir,
                     plugin_paths=[MODULES],
                     extra_lines=[f'Component "{MISROUTE}" "pg_misroute"',
                                  f'  pg_misroute_via = "{SMS}"',
                                  f'  pg_misroute_to_domain = "{IRC}"'])
    for name in ("alice", "bob", "harness"):
        server.create_user(name)
    server.create_user("mallory", EVIL_DOMAIN)
    server.start()
    yield server
    server.stop()


class Recorder:
    """Every stanza the client receives, by id, for raw sends."""

    def __init__(self, client):
        self.client = client
        self.stanzas = []

        def on_stanza(stanza):
            with client._cond:
                self.stanzas.append(stanza.xml)
                client._cond.notify_all()

        def add():
            for name in ("iq", "message", "presence"):
                client.xmpp.register_handler(Callback(
                    f"hostile-jids {name}", MatchXPath(f"{{{NS_CLIENT}}}{name}"), on_stanza))

        async def call():
            add()
        client._loop.run(call(), 5)

    def with_id(self, stanza_id):
        with self.client._cond:
            return [s for s in self.stanzas if s.get("id") == stanza_id]

    def wait(self, stanza_id, what, daemon, timeout=30):
        with self.client._cond:
            found = self.client._cond.wait_for(
                lambda: [s for s in self.stanzas if s.get("id") == stanza_id], timeout)
        if not found:
            raise util.HarnessError(f"no answer within {timeout}s to {what}; daemon log:\n"
                                    f"{daemon.tail(30)}")
        return found[0]


@pytest.fixture(scope="module")
def hostile(prosody, polygate):
    """One user registered on all three transports, recording every stanza."""
    jid = prosody.create_user(f"hostile{os.getpid()}", DOMAIN)
    client = XmppClient(jid, prosody.passwords[jid], port=prosody.c2s_port).connect()
    for transport, fields in ((IRC, {"nick": "hostile"}),
                              (SMS, {"phone": "+15550107001"}),
                              (PURPLE, {"username": "hostile@legacy.localhost",
                                        "password": "pw-Hostile-1"})):
        reply = client.iq_set(transport, register_form(fields))
        assert reply.get("type") == "result", to_string(reply)
    client.recorder = Recorder(client)
    yield client
    client.disconnect()


def ready_count(daemon, jid):
    return daemon.output().count(f"{jid}: ready")


@pytest.fixture
def unharmed(polygate, hostile):
    """After the test: same PID, no component reconnected, every transport
    answers a ping."""
    pid = polygate.pid
    ready = {jid: ready_count(polygate, jid) for jid in polygate.jids}
    assert all(count == 1 for count in ready.values()), ready
    yield
    assert polygate.running, f"the daemon died:\n{polygate.tail(40)}"
    assert polygate.pid == pid
    for jid in polygate.jids:
        reply = hostile.iq_get(jid, f"<ping xmlns='{NS_PING}'/>")
        assert reply.get("type") == "result", to_string(reply)
    assert {jid: ready_count(polygate, jid) for jid in polygate.jids} == ready, \
        f"a component reconnected:\n{polygate.tail(40)}"


def stanza_xml(kind, to, stanza_id, stype=None):
    attrs = f"id={quoteattr(stanza_id)} to={quoteattr(to)}"
    if kind == "message":
        return (f"<message {attrs} type={quoteattr(stype or 'chat')}>"
                "<body>hostile</body></message>")
    if kind == "presence":
        return f"<presence {attrs}" + (f" type={quoteattr(stype)}" if stype else "") + "/>"
    return (f"<iq {attrs} type={quoteattr(stype or 'get')}>"
            f"<query xmlns='{NS_DISCO_INFO}'/></iq>")


def send(client, kind, to, stype=None):
    stanza_id = f"hostile-{next(_ids)}"
    client.send_raw(stanza_xml(kind, to, stanza_id, stype))
    return stanza_id


def assert_error(client, daemon, kind, to, condition, stype=None):
    stanza_id = send(client, kind, to, stype)
    answer = client.recorder.wait(stanza_id, f"a {kind} to {to[:80]!r}", daemon)
    assert answer.get("type") == "error", to_string(answer)
    assert error_condition(answer)[1] == condition, to_string(answer)
    return answer


LONG = "x" * 2048

# (to, condition): every shape on every transport
CASES = [
    # issue 8: the bare domain with a resource killed the daemon
    (f"{SMS}/a@b", "item-not-found"),
    (f"{PURPLE}/a@b", "item-not-found"),
    (f"{IRC}/a@b", "item-not-found"),
    (f"{IRC}/resource", "item-not-found"),
    # IRC shapes
    (f"nick%@{IRC}", "jid-malformed"),                  # '%' without a server
    (f"#chan%@{IRC}/nick", "jid-malformed"),            # '#chan%' with an empty server
    (f"%irc.example.net@{IRC}", "jid-malformed"),       # no nick
    (f"#%irc.example.net@{IRC}/nick", "jid-malformed"),  # no channel name
    (f"bad!nick%irc.example.net@{IRC}", "jid-malformed"),
    (f"#a,b%irc.example.net@{IRC}/nick", "jid-malformed"),
    (f"nick%bad_host!@{IRC}", "jid-malformed"),
    (f"nick@{IRC}", "item-not-found"),                  # no server and none fixed
    (f"#{LONG}%irc.example.net@{IRC}/nick", "jid-malformed"),
    (f"#chan\u2003x%irc.example.net@{IRC}/nick", "jid-malformed"),  # a space
    (f"#chan%irc.example.net@{IRC}/\u0085", "jid-malformed"),        # a C1 control
    # SMS shapes: E.164 numbers, no resources
    (f"+15550107002@{SMS}/phone", "item-not-found"),
    (f"notanumber@{SMS}", "jid-malformed"),
    (f"+1@{SMS}", "jid-malformed"),
    (f"+15550107002+1@{SMS}", "jid-malformed"),
    (f"+1555{LONG}@{SMS}", "jid-malformed"),
    # purple shapes: escaped legacy IDs, no resources
    (f"bob\\40legacy.localhost@{PURPLE}/res", "item-not-found"),
    (f"{LONG}@{PURPLE}", "jid-malformed"),
    (f"bob\u00a0x@{PURPLE}", "jid-malformed"),
]


# What Prosody refuses itself: its presence error then comes from the invalid
# JID, which slixmpp cannot parse (it drops the test's connection), so these
# go as message and IQ only; tests/unit/test-jid.c covers them at the daemon.
REFUSED_BY_PROSODY = {f"#{LONG}%irc.example.net@{IRC}/nick", f"+1555{LONG}@{SMS}",
                      f"{LONG}@{PURPLE}", f"#chan\u2003x%irc.example.net@{IRC}/nick",
                      f"#chan%irc.example.net@{IRC}/\u0085", f"bob\u00a0x@{PURPLE}"}


@pytest.mark.parametrize("kind", ["message", "presence", "iq"])
@pytest.mark.parametrize("to, condition", CASES, ids=[c[0][:40] for c in CASES])
def test_an_odd_to_jid_gets_a_stanza_error_and_harms_nothing(
        polygate, hostile, unharmed, kind, to, condition):
    if kind == "presence" and to in REFUSED_BY_PROSODY:
        pytest.skip("Prosody refuses it; slixmpp cannot read its presence error")
    assert_error(hostile, polygate, kind, to, condition)


@pytest.mark.parametrize("transport", [SMS, PURPLE])
def test_a_chat_message_to_the_bare_domain_with_a_resource_keeps_the_daemon_up(
        polygate, hostile, unharmed, transport):
    # on c3f3e12 this aborted the daemon: g_strndup(bare, NULL - bare)
    answer = assert_error(hostile, polygate, "message", f"{transport}/a@b", "item-not-found")
    assert answer.get("from") == f"{transport}/a@b", to_string(answer)


@pytest.mark.parametrize("kind", ["message", "presence"])
@pytest.mark.parametrize("to", [f"{SMS}/a@b", f"{PURPLE}/a@b", f"nick%@{IRC}",
                                f"+15550107002@{SMS}/phone", f"notanumber@{SMS}"])
def test_an_error_to_an_odd_jid_is_dropped_without_an_answer(
        polygate, hostile, unharmed, kind, to):
    # RFC 6120 §8.3.1: an error is never answered with an error
    stanza_id = send(hostile, kind, to, stype="error")
    # the daemon answers in order: once its ping answer is here, so would be
    # anything it sent about the error
    for jid in polygate.jids:
        reply = hostile.iq_get(jid, f"<ping xmlns='{NS_PING}'/>")
        assert reply.get("type") == "result", to_string(reply)
    assert hostile.recorder.with_id(stanza_id) == []


@pytest.mark.parametrize("kind, to", [
    ("message", f"+15550107003@{MISROUTE}"),
    ("message", f"#chan%irc.example.net@{MISROUTE}/nick"),
    ("presence", f"#chan%irc.example.net@{MISROUTE}/nick"),
    ("presence", MISROUTE),
    ("iq", MISROUTE),
    ("iq", f"nick%irc.example.net@{MISROUTE}"),
])
def test_a_stanza_for_another_domain_on_the_sms_component_is_refused_from_its_own_domain(
        polygate, hostile, unharmed, kind, to):
    # mod_pg_misroute hands it to sms.localhost's connection, to irc.localhost
    answer = assert_error(hostile, polygate, kind, to, "item-not-found")
    # from sms.localhost, never irc.localhost: Prosody would close the SMS
    # component's stream over a 'from' outside its domain (invalid-from)
    assert answer.get("from") == SMS, to_string(answer)
