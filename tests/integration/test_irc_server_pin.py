"""A pinned certificate per server (issue 10, item 2): the configure form
on a server's JID takes the SHA-256 fingerprint of the server's
certificate.  The worker checks the certificate the server presents
against it (backends/purple/pg-purple-pin.c), before libpurple's own
checks:

- the right pin: the connection is accepted without a question, though the
  certificate is self-signed, and the user joins a room;
- a wrong pin: the connection is refused, nothing is asked, and the user's
  join gets an error that says the fingerprint did not match and which one
  the server showed;
- a value that is no SHA-256 fingerprint is not-acceptable.

ngircd listens with TLS on ngircd.tls_port (NGIRCD_TLS), with a self-signed
certificate whose fingerprint is ngircd.cert_sha256.
"""

import re

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, NS_CLIENT, SERVER, body, gateway, gateway_options, irc_checker, irc_prosody, join_room,
    make_irc_client, make_irc_user, messages, ngircd, ngircd_password, statuses, unique)
from test_irc_server_tls import configured, execute, fields_of, refused, value_of

NGIRCD_TLS = True
SERVER_JID = f"{SERVER}@{IRC}"
WRONG = ":".join(["AB"] * 32)


@pytest.fixture(scope="module")
def gateway_options():
    return {"irc_user_ports": "6665-6669; 1024-65535"}


def questions(user):
    return [m for m in messages(user.client)
            if (body(m) or "").startswith("Question from the legacy network")]


def registered(ngircd, nick):
    return re.search(rf'User "{re.escape(nick)}![^"]*" registered', ngircd.log()) is not None


def test_the_form_takes_a_sha256_fingerprint_and_shows_it(make_irc_user, ngircd):
    alice = make_irc_user(online=False)
    field = fields_of(execute(alice.client, SERVER_JID))["fingerprint"]
    assert field.get("type") == "text-single"
    assert "SHA-256" in (field.get("label") or "")
    # any case, with or without colons: shown as openssl prints it
    plain = ngircd.cert_sha256.replace(":", "").lower()
    configured(alice.client, SERVER_JID, {"fingerprint": plain})
    assert value_of(fields_of(execute(alice.client, SERVER_JID))["fingerprint"]) == \
        ngircd.cert_sha256
    configured(alice.client, SERVER_JID, {"fingerprint": ""})
    assert value_of(fields_of(execute(alice.client, SERVER_JID))["fingerprint"]) is None


@pytest.mark.parametrize("value", ["zz", "AB:" * 31 + "A", "AB" * 33, "sha256:" + "AB" * 32])
def test_what_is_no_sha256_fingerprint_is_not_acceptable(make_irc_user, value):
    alice = make_irc_user(online=False)
    refused(alice.client, SERVER_JID, {"fingerprint": value}, "not-acceptable")


def test_the_pinned_certificate_is_accepted_without_a_question(make_irc_user,
                                                                make_irc_client, ngircd):
    alice = make_irc_user(online=False)
    configured(alice.client, SERVER_JID, {"tls": "true", "port": ngircd.tls_port,
                                          "fingerprint": ngircd.cert_sha256})
    before = ngircd.tls_connections()
    alice.go_online(IRC)
    bob = make_irc_client()
    channel = "#" + unique("pin")
    bob.join(channel)
    alice.join(channel)
    bob.wait_for(lambda l: l.is_("JOIN", nick=alice.nick), 30, f"{alice.nick} to JOIN",
                 alice.logs)
    assert ngircd.tls_connections() > before, ngircd.tail()
    assert not questions(alice), [to_string(m) for m in questions(alice)]


def test_a_wrong_pin_refuses_the_connection_and_names_the_fingerprint_seen(make_irc_user,
                                                                           ngircd):
    alice = make_irc_user(online=False)
    configured(alice.client, SERVER_JID, {"tls": "true", "port": ngircd.tls_port,
                                          "fingerprint": WRONG})
    alice.go_online(IRC)
    room = f"#pinned{unique('r')}%{SERVER}@{IRC}"
    join_room(alice.client, room, alice.nick)
    error = alice.wait_presence(lambda p: (p.get("from") or "").split("/")[0] == room
                                and p.get("type") == "error", 60,
                                f"an error presence from {room}")
    assert error_condition(error) is not None, to_string(error)
    text = error.find(f"{{{NS_CLIENT}}}error/{{urn:ietf:params:xml:ns:xmpp-stanzas}}text")
    said = text.text if text is not None else ""
    assert "fingerprint" in said.lower() and ngircd.cert_sha256 in said, to_string(error)
    assert not registered(ngircd, alice.nick), ngircd.tail()
    assert not questions(alice), [to_string(m) for m in questions(alice)]
