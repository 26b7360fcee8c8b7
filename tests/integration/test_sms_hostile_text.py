"""Hostile text in an inbound SMS never cuts the transport (issue 8, item 1).

Every C0 control byte (but NUL, which the HTTP side refuses) and bytes that
are not UTF-8 reach the daemon in an inbound SMS: by Kannel's HTTP
callback for a user with no SMS link (the daemon builds the stanza), for a
user whose link is up (the text goes through the worker and comes back as
im-received), and through the real Kannel from the fake SMSC.  Before the
text boundary (src/stanza/pg-text.c) the first control byte got the
component stream closed as not-well-formed.

Each test passes only if the text arrives cleaned (controls gone; TAB, LF
and CR kept), the daemon is the same process, its component did not
reconnect and the component's last-resort repair never fired.
"""

import urllib.parse

import pytest

from harness.smsgw import SMS, contact, make_sms_user, smsgw, unique_number

pytestmark = pytest.mark.usefixtures("smsgw")

__all__ = ["smsgw", "make_sms_user"]  # fixtures used by name below

C0 = list(range(0x01, 0x20))


def hostile(token):
    """Every C0 byte, each followed by 'q', and what must arrive (a CR
    arrives as LF: XML 1.0 §2.11 end-of-line handling)."""
    raw = token.encode() + b" " + b"".join(bytes([b]) + b"q" for b in C0) + b" end"
    kept = {0x09: "\t", 0x0a: "\n", 0x0d: "\n"}
    want = token + " " + "".join(kept.get(b, "") + "q" for b in C0) + " end"
    return raw, want


def xml_clean(text):
    return text is not None and not any(
        (ord(c) < 0x20 and c not in "\t\n\r") or 0x7f <= ord(c) <= 0x9f
        or c in "\ufffe\uffff" for c in text)


def body(m):
    b = m.find("{jabber:client}body")
    return None if b is None else b.text


def sms_from(peer, want, exact=True):
    """Predicate: a chat from the number whose body is want (exact, or but
    for whitespace, which the worker's HTML round trip may change)."""
    def match(m):
        text = body(m)
        if (m.get("from") or "").split("/")[0] != contact(peer) or text is None:
            return False
        if exact:
            return text == want
        return xml_clean(text) and "".join(text.split()) == "".join(want.split())
    return match


@pytest.fixture
def watch(smsgw):
    daemon = smsgw.daemon
    pid = daemon.pid
    connects = daemon.output().count(f"{SMS}: connected to")
    yield
    assert daemon.running and daemon.pid == pid, "the daemon died or was restarted"
    assert daemon.output().count(f"{SMS}: connected to") == connects, \
        "the component reconnected: the server cut its stream\n" + daemon.tail(30)
    assert "XML 1.0 forbids" not in daemon.output(), "a builder skipped the text boundary"


def test_every_c0_byte_in_an_sms_for_a_user_without_a_link_arrives_cleaned(
        watch, smsgw, make_sms_user):
    user = make_sms_user(online=False)
    peer = unique_number("+4915")
    raw, want = hostile("direct")
    status, _ = smsgw.call_inbound(**{"from": peer, "to": user.number, "text": raw,
                                      "charset": "UTF-8", "coding": "0"})
    assert status == 200
    message = user.wait_message(sms_from(peer, want), 30, "the SMS, cleaned")
    assert xml_clean(body(message))


@pytest.mark.parametrize("charset, raw, want", [
    ("GSM", b"caf\xe9 \x80 \x93q\x94 \x11\x1b end", "caf\u00e9 \u20ac \u201cq\u201d  end"),
    ("ISO-8859-1", b"caf\xe9 \x85\x9f \x11 end", "caf\u00e9   end"),
    ("UTF-8", b"x \xc2\x85 \xef\xbf\xbe \xef\xbf\xbf \x7f end", "x     end"),
], ids=["gsm-read-as-cp1252", "latin1-with-c1", "utf8-c1-and-nonchars"])
def test_a_legacy_charset_sms_arrives_decoded_and_cleaned(watch, smsgw, make_sms_user,
                                                          charset, raw, want):
    user = make_sms_user(online=False)
    peer = unique_number("+4915")
    status, _ = smsgw.call_inbound(**{"from": peer, "to": user.number, "text": raw,
                                      "charset": charset, "coding": "0"})
    assert status == 200
    user.wait_message(sms_from(peer, want), 30, f"the {charset} SMS, decoded and cleaned")


def test_every_c0_byte_in_an_sms_through_the_worker_arrives_cleaned(
        watch, smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    # the link is up once an SMS went out through it
    user.send(peer, "ping")
    smsgw.inbox.wait_to(peer, 30, smsgw.log_paths)
    raw, want = hostile("worker")
    status, _ = smsgw.call_inbound(**{"from": peer, "to": user.number, "text": raw,
                                      "charset": "UTF-8", "coding": "0"})
    assert status == 200
    user.wait_message(sms_from(peer, want, exact=False), 30, "the SMS through the worker")


def test_every_c0_byte_in_an_sms_from_the_smsc_through_kannel_arrives_cleaned(
        watch, smsgw, make_sms_user):
    user = make_sms_user(online=False)
    peer = unique_number("+4915")
    raw, want = hostile("kannel")
    # fakesmsc's "data" type carries URL-encoded bytes
    smsgw.smsc.sock.sendall(f"{peer} {user.number} data {urllib.parse.quote(raw)}\n".encode())
    user.wait_message(sms_from(peer, want, exact=False), 45, "the SMS from the SMSC")
