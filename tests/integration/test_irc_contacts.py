"""1:1 IRC contacts' presence (issue 10, item 6) on a server without
MONITOR (ngircd): a nick in the user's roster shows available when it is
on IRC and unavailable when it leaves, through ISON; away (USERHOST), with
its away message (WHOIS's 301) as the presence's status.  The MONITOR side is
test_irc_contacts_monitor.py (inspircd)."""

from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, body, consume_all, contact_jid, messages, gateway, gateway_options, irc_checker, irc_prosody, is_from,
    make_irc_client, make_irc_user, ngircd, ngircd_password, ptype, unique)


def presence_of(jid, type_):
    return lambda p: is_from(p, jid) and ptype(p) == type_


def test_a_contact_in_the_roster_comes_online_then_goes_offline(make_irc_user,
                                                                make_irc_client):
    alice = make_irc_user()
    nick = unique("w")
    contact = contact_jid(nick)
    alice.client.send_presence(to=contact, ptype="subscribe")
    alice.wait_presence(presence_of(contact, "unavailable"), 30, f"{nick} offline at first")
    bob = make_irc_client(nick=nick)
    alice.wait_presence(presence_of(contact, "available"), 45,
                        f"{nick} available once on IRC")
    consume_all(alice.client)
    bob.quit()
    alice.wait_presence(presence_of(contact, "unavailable"), 45, f"{nick} unavailable once gone")


def test_a_contact_already_online_shows_available(make_irc_user, make_irc_client):
    nick = unique("w")
    make_irc_client(nick=nick)
    alice = make_irc_user()
    contact = contact_jid(nick)
    alice.client.send_presence(to=contact, ptype="subscribe")
    alice.wait_presence(presence_of(contact, "available"), 45, f"{nick} available")


def show_of(stanza):
    show = stanza.find("{jabber:client}show")
    return show.text if show is not None else None


def status_of(stanza):
    status = stanza.find("{jabber:client}status")
    return status.text if status is not None else None


def test_an_away_contact_shows_away_with_its_message_and_back(make_irc_user,
                                                               make_irc_client):
    nick = unique("w")
    bob = make_irc_client(nick=nick)
    alice = make_irc_user()
    contact = contact_jid(nick)
    alice.client.send_presence(to=contact, ptype="subscribe")
    alice.wait_presence(presence_of(contact, "available"), 45, f"{nick} available")
    consume_all(alice.client)
    bob.send("AWAY :out for lunch")
    away = alice.wait_presence(
        lambda p: presence_of(contact, "available")(p) and show_of(p) == "away", 45,
        f"{nick} away")
    assert status_of(away) == "out for lunch"
    # the away message is the status, not a chat message (prpl-irc makes a
    # 301 an auto-reply)
    assert not messages(alice.client, lambda m: "out for lunch" in (body(m) or ""))
    bob.send("AWAY")
    back = alice.wait_presence(
        lambda p: presence_of(contact, "available")(p) and show_of(p) is None, 45,
        f"{nick} back")
    assert status_of(back) is None


def test_a_changed_away_message_shows_when_a_message_to_the_contact_meets_it(
        make_irc_user, make_irc_client):
    """USERHOST only says "still away"; the 301 that answers the user's
    message (RFC 2812 §3.3.1) carries the new text."""
    nick = unique("w")
    bob = make_irc_client(nick=nick)
    alice = make_irc_user()
    contact = contact_jid(nick)
    alice.client.send_presence(to=contact, ptype="subscribe")
    alice.wait_presence(presence_of(contact, "available"), 45, f"{nick} available")
    bob.send("AWAY :in a meeting")
    alice.wait_presence(lambda p: is_from(p, contact) and status_of(p) == "in a meeting", 45,
                        f"{nick} away in a meeting")
    bob.send("AWAY :gone home")
    bob.wait_for(lambda l: l.command == "306", 20, "306 (still away)")
    alice.send(contact, "are you there?")
    bob.wait_for(lambda l: l.is_("PRIVMSG", target=nick), 30, "alice's message")
    alice.wait_presence(lambda p: is_from(p, contact) and show_of(p) == "away"
                        and status_of(p) == "gone home", 30, f"{nick} away, gone home")
