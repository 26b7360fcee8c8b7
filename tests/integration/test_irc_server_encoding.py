"""The encoding of a server's lines, in and out (issue 10, item 2;
biboumi's encoding_in/encoding_out): set in the configure form on a
server's JID, for servers that speak Latin-1, ISO-8859-15, WINDOWS-1252...

- In: a line that is not UTF-8 is read in the server's encoding (a UTF-8
  line is still read as UTF-8).  0xA4 is the euro sign in ISO-8859-15 and
  a currency sign in the transport's default irc_charset (WINDOWS-1252), so
  the "€" the XMPP user gets shows the server's setting was used.
- Out: what the XMPP user writes reaches the server in its encoding:
  "é€" as the bytes E9 A4.
- A value that is no charset iconv knows, or none that keeps ASCII, or a
  list, is not-acceptable.
"""

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, SERVER, gateway, gateway_options, groupchat_from, irc_checker, irc_prosody,
    make_irc_client, make_irc_user, ngircd, ngircd_password, unique)
from test_irc_server_tls import configured, execute, fields_of, refused, value_of

SERVER_JID = f"{SERVER}@{IRC}"


def test_the_form_offers_the_encoding(make_irc_user):
    alice = make_irc_user(online=False)
    field = fields_of(execute(alice.client, SERVER_JID))["encoding"]
    assert field.get("type") == "text-single"
    assert "encoding" in (field.get("label") or "").lower()
    assert value_of(field) is None
    configured(alice.client, SERVER_JID, {"encoding": "iso-8859-15"})
    assert value_of(fields_of(execute(alice.client, SERVER_JID))["encoding"]) == "ISO-8859-15"
    configured(alice.client, SERVER_JID, {"encoding": ""})
    assert value_of(fields_of(execute(alice.client, SERVER_JID))["encoding"]) is None


@pytest.mark.parametrize("value", ["NO-SUCH-CHARSET", "UTF-16LE", "ISO-8859-1,KOI8-R",
                                   "x" * 60])
def test_what_is_no_ascii_keeping_charset_is_not_acceptable(make_irc_user, value):
    alice = make_irc_user(online=False)
    refused(alice.client, SERVER_JID, {"encoding": value}, "not-acceptable")


def test_a_latin_server_is_read_and_written_in_its_encoding(make_irc_user, make_irc_client):
    alice = make_irc_user(online=False)
    configured(alice.client, SERVER_JID, {"encoding": "ISO-8859-15"})
    alice.go_online(IRC)
    bob = make_irc_client()
    channel = "#" + unique("enc")
    bob.join(channel)
    room = alice.join(channel)
    bob.wait_for(lambda l: l.is_("JOIN", nick=alice.nick), 30, f"{alice.nick} to JOIN",
                 alice.logs)

    # in: ISO-8859-15 bytes, and a UTF-8 line beside them
    bob.privmsg(channel, b"caf\xe9 \xa4")
    bob.privmsg(channel, "déjà vu €".encode("utf-8"))
    alice.wait_message(groupchat_from(f"{room}/{bob.nick}", "café €"), 30,
                       "the ISO-8859-15 line as UTF-8")
    alice.wait_message(groupchat_from(f"{room}/{bob.nick}", "déjà vu €"), 30,
                       "the UTF-8 line as it was")

    # out: the user's text in ISO-8859-15
    alice.send(room, "ça coûte 5 €", mtype="groupchat")
    line = bob.wait_for(lambda l: l.is_("PRIVMSG", nick=alice.nick, target=channel), 30,
                        "alice's line", alice.logs)
    assert line.raw.endswith(" :".encode() + "ça coûte 5 €".encode("iso-8859-15")), line.raw
