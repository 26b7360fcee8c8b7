"""1:1 IRC contacts' presence (issue 10, item 6) on a server with MONITOR
(inspircd with its monitor module): the worker watches the nicks of the
user's roster with MONITOR + and takes 730/731 for their presence.
Skipped where inspircd or atheme-services is not installed."""

import pytest

from harness import services as irc_services
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, consume_all, contact_jid, gateway, gateway_options, irc_checker, irc_prosody, is_from,
    make_irc_user, ptype, unique)
from harness.irc import IrcClient

if not irc_services.available():
    pytest.skip("inspircd and atheme-services are not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    """The IRC network is inspircd + atheme (the gateway takes its port)."""
    network = irc_services.IrcServices(str(tmp_path_factory.mktemp("services")))
    network.start()
    yield network
    network.stop()


def presence_of(jid, type_):
    return lambda p: is_from(p, jid) and ptype(p) == type_


def test_a_monitored_contact_comes_online_then_goes_offline(ngircd, make_irc_user):
    alice = make_irc_user()
    nick = unique("m")
    contact = contact_jid(nick)
    alice.client.send_presence(to=contact, ptype="subscribe")
    alice.wait_presence(presence_of(contact, "unavailable"), 60, f"{nick} offline at first")
    with IrcClient(ngircd.port, nick).connect() as bob:
        alice.wait_presence(presence_of(contact, "available"), 45,
                            f"{nick} available once on IRC")
        consume_all(alice.client)
        bob.quit()
        alice.wait_presence(presence_of(contact, "unavailable"), 45,
                            f"{nick} unavailable once gone")


def test_a_monitored_contact_away_shows_its_away_message(ngircd, make_irc_user):
    """MONITOR says nothing of away: USERHOST and WHOIS do, on inspircd too."""
    alice = make_irc_user()
    nick = unique("m")
    contact = contact_jid(nick)
    with IrcClient(ngircd.port, nick).connect() as bob:
        alice.client.send_presence(to=contact, ptype="subscribe")
        alice.wait_presence(presence_of(contact, "available"), 45, f"{nick} available")
        consume_all(alice.client)
        bob.send("AWAY :back at five")

        def away(p):
            show = p.find("{jabber:client}show")
            status = p.find("{jabber:client}status")
            return is_from(p, contact) and show is not None and show.text == "away" \
                and status is not None and status.text == "back at five"
        alice.wait_presence(away, 45, f"{nick} away, back at five")


def test_a_new_away_message_of_a_contact_in_a_shared_channel_comes_by_away_notify(
        ngircd, make_irc_user):
    """IRCv3 away-notify (inspircd's ircv3 module): the server tells of every
    AWAY of a user in a channel we share, so a changed away message shows
    at once, where USERHOST only says "still away"."""
    alice = make_irc_user()
    nick = unique("m")
    contact = contact_jid(nick)
    channel = "#" + unique("an")
    with IrcClient(ngircd.port, nick).connect() as bob:
        bob.join(channel)
        alice.join(channel)
        alice.client.send_presence(to=contact, ptype="subscribe")
        alice.wait_presence(presence_of(contact, "available"), 45, f"{nick} available")
        bob.send("AWAY :first")
        alice.wait_presence(lambda p: is_from(p, contact) and status_of(p) == "first", 45,
                            f"{nick} away, first")
        bob.send("AWAY :second")
        alice.wait_presence(lambda p: is_from(p, contact) and status_of(p) == "second", 20,
                            f"{nick} away, second")
        bob.send("AWAY")
        alice.wait_presence(lambda p: is_from(p, contact) and ptype(p) == "available"
                            and status_of(p) is None, 20, f"{nick} back")


def status_of(stanza):
    status = stanza.find("{jabber:client}status")
    return status.text if status is not None else None
