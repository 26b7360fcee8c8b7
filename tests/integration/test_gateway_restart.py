"""The gateway stops and restarts under an online user: the client is told
what went offline, and the session comes back with no action on its side.

The XMPP server tells a component of a presence only when it changes, so
the restarted gateway probes the users it is subscribed to (RFC 6121 §4.3)
and Prosody answers for every available resource.  The chain is real:
slixmpp -> Prosody -> polygate -> polygate-purple -> ngircd.
"""

import re

from harness import util
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRCNET, gateway, gateway_options, irc_checker, irc_prosody, is_from, make_irc_user,
    ngircd, ngircd_password, occupant_presence, ptype, unique)


def registrations(ngircd, nick):
    """How many times nick has registered on ngircd (from its log)."""
    return len(re.findall(rf'User "{re.escape(nick)}![^"]*" registered', ngircd.log()))


def test_an_online_user_is_back_on_irc_after_the_gateway_restarts(
        gateway, irc_checker, make_irc_user, ngircd):
    user = make_irc_user(transports=(IRCNET,), online=False)
    # XEP-0100 §4.1.1: the user approves the transport's subscription
    user.client.wait_for_presence(IRCNET, "subscribe")
    user.client.send_presence(IRCNET, "subscribed")
    user.go_online(IRCNET)
    user.wait_on_irc()
    assert registrations(ngircd, user.nick) == 1

    gateway.stop()
    gateway.start(irc_checker)

    # the client sends nothing: the gateway asks
    util.wait_for(lambda: registrations(ngircd, user.nick) == 2, 60,
                  f"{user.nick} to be back on IRC after the restart", gateway.log_path)


def test_a_stopping_gateway_takes_the_user_out_of_rooms_and_goes_offline(
        gateway, irc_checker, make_irc_user):
    user = make_irc_user(transports=(IRCNET,), online=False)
    user.client.wait_for_presence(IRCNET, "subscribe")
    user.client.send_presence(IRCNET, "subscribed")
    user.client.send_presence(IRCNET, "subscribe")
    user.client.wait_for_presence(IRCNET, "subscribed")
    user.go_online(IRCNET)
    user.wait_presence(lambda p: is_from(p, IRCNET) and ptype(p) == "available", 30,
                       "the transport online")
    room = user.join(unique("#bye"), IRCNET)

    gateway.stop()

    # XEP-0045: removed from the room because the service shuts down
    user.wait_presence(occupant_presence(f"{room}/{user.nick}", "unavailable", (110, 332)),
                       30, f"the self-presence of {room} with status 332")
    # XEP-0100 §4.5.1: the transport is offline
    user.wait_presence(lambda p: is_from(p, IRCNET) and ptype(p) == "unavailable", 30,
                       "the transport offline")
    gateway.start(irc_checker)
