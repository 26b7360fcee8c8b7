"""One-to-one chat between an XMPP user and an IRC user, through the gateway.

Real chain: slixmpp -> Prosody -> polygate -> polygate-purple -> ngircd <- raw
IRC client.  The XMPP user is registered on the transport with an IRC nick;
an IRC user is `nick%127.0.0.1@irc.localhost`, or `nick@ircnet.localhost` on
the transport with a fixed irc_server.

Without a fixed server the user is connected to an IRC server on first use
(a message or a join naming it); with one, as soon as the user is online.
Tests that need the user on IRC before anything is said use ircnet.
"""

from harness.ircgw import (IRC, IRCNET, chat_from, contact_jid,  # noqa: F401 (fixtures)
                           gateway, gateway_options, irc_checker, irc_prosody, make_irc_client,
                           make_irc_user, ngircd, ngircd_password, send_presence,
                           wait_until)


def test_a_chat_to_nick_percent_server_reaches_the_irc_user_from_the_users_nick(
        make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user()
    alice.send(contact_jid(bob.nick), "hello bob, from xmpp")
    bob.wait_for_privmsg("hello bob, from xmpp", sender=alice.nick, target=bob.nick,
                         timeout=45, log_paths=alice.logs)


def test_a_privmsg_from_irc_arrives_as_a_chat_from_nick_percent_server(
        make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user()
    alice.send(contact_jid(bob.nick), "ping")
    bob.wait_for_privmsg("ping", sender=alice.nick, timeout=45, log_paths=alice.logs)
    bob.privmsg(alice.nick, "hi alice, from irc")
    message = alice.wait_message(chat_from(contact_jid(bob.nick), "hi alice, from irc"),
                                 timeout=30, what="bob's PRIVMSG")
    assert message.get("type") == "chat"


def test_with_a_fixed_irc_server_the_contact_is_just_nick_at_transport(
        make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user(transports=(IRCNET,))
    alice.send(f"{bob.nick}@{IRCNET}", "no server in this JID")
    bob.wait_for_privmsg("no server in this JID", sender=alice.nick, timeout=45,
                         log_paths=alice.logs)
    bob.privmsg(alice.nick, "and back")
    alice.wait_message(chat_from(f"{bob.nick}@{IRCNET}", "and back"), timeout=30,
                       what="bob's reply from nick@ircnet.localhost")


def test_latin1_bytes_from_irc_arrive_decoded_not_lost(make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user(transports=(IRCNET,))
    alice.wait_on_irc()
    bob.privmsg(alice.nick, "caf\u00e9 cr\u00e8me \u00e0 la fran\u00e7aise".encode("latin-1"))
    alice.wait_message(chat_from(contact_jid(bob.nick, IRCNET),
                                 "caf\u00e9 cr\u00e8me \u00e0 la fran\u00e7aise"),
                       timeout=30, what="the latin-1 line, decoded")


def test_utf8_text_goes_both_ways_unchanged(make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user()
    text = "Gr\u00fc\u00dfe \u2603 \u65e5\u672c <b>&amp;</b>"
    alice.send(contact_jid(bob.nick), text)
    line = bob.wait_for_privmsg(text, sender=alice.nick, timeout=45, log_paths=alice.logs)
    assert line.raw.endswith(text.encode("utf-8"))
    bob.privmsg(alice.nick, text)
    alice.wait_message(chat_from(contact_jid(bob.nick), text), timeout=30,
                       what="the same text back from IRC")


def _away_message(bob, nick):
    replies = bob.whois(nick)
    away = [line for line in replies if line.command == "301"]
    return away[0].text if away else None


def test_the_users_xmpp_away_shows_as_away_on_irc_and_back(make_irc_user, make_irc_client):
    bob = make_irc_client("bob")
    alice = make_irc_user(transports=(IRCNET,))
    alice.wait_on_irc()
    assert _away_message(bob, alice.nick) is None, "away before the user said so"

    send_presence(alice.client, IRCNET, show="away", status="gone for lunch")
    message = wait_until(lambda: _away_message(bob, alice.nick), 30,
                         f"WHOIS {alice.nick} to show 301 (away)", alice.logs)
    assert "gone for lunch" in message

    send_presence(alice.client, IRCNET)
    wait_until(lambda: _away_message(bob, alice.nick) is None, 30,
               f"WHOIS {alice.nick} to drop 301 once available again", alice.logs)


def test_an_away_status_given_before_the_link_is_up_reaches_irc(make_irc_user,
                                                                 make_irc_client):
    """The user's first presence is away, with a status: the link is still
    logging in when it arrives, and the status must not be lost when the
    link comes up (it came up "Away", with no message)."""
    bob = make_irc_client("bob")
    alice = make_irc_user(transports=(IRCNET,), online=False)
    send_presence(alice.client, IRCNET, show="away", status="out till noon")
    alice.wait_on_irc()
    message = wait_until(lambda: _away_message(bob, alice.nick), 30,
                         f"WHOIS {alice.nick} to show 301 (away)", alice.logs)
    assert "out till noon" in message
