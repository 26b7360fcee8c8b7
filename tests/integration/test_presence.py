"""XEP-0100 presence around registration: the transport asks to be in the
user's roster after the first registration, answers subscriptions and probes
of registered users, and cancels both subscriptions on removal.

Prosody delivers inbound subscription stanzas only when they change roster
state (RFC 6121 §3), so each test uses a brand-new account and, where a test
needs it, performs the whole XEP-0100 §4.1.1 subscription exchange."""

from harness.client import to_string
from harness.xep import NS_PING, register_form, register_remove

IRC = "irc.localhost"
SMS = "sms.localhost"


def register(client, transport, fields):
    reply = client.iq_set(transport, register_form(fields))
    assert reply.get("type") == "result", to_string(reply)


def fence(client, transport):
    """A ping to the transport and its answer: every presence the daemon sent
    before it (e.g. its answer to the probe Prosody sends on a new
    subscription) has arrived, so a wait after consume_presences() sees
    only what came later."""
    reply = client.iq_get(transport, f"<ping xmlns='{NS_PING}'/>")
    assert reply.get("type") == "result", to_string(reply)


def subscribe_both_ways(client, transport):
    """XEP-0100 §4.1.1 steps after registration: approve the transport's
    request, then ask for its presence and get it approved."""
    client.wait_for_presence(transport, "subscribe")
    client.send_presence(transport, "subscribed")
    client.send_presence(transport, "subscribe")
    client.wait_for_presence(transport, "subscribed")


def test_first_registration_makes_the_transport_ask_to_subscribe(polygate, user):
    register(user, IRC, {"nick": "newcomer"})
    presence = user.wait_for_presence(IRC, "subscribe")
    assert presence.get("from") == IRC  # the bare domain, not a resource
    assert presence.get("to").split("/")[0] == user.jid


def test_subscribe_from_a_registered_user_is_approved_with_presence(polygate, user):
    register(user, SMS, {"phone": "+15550100201"})
    user.wait_for_presence(SMS, "subscribe")
    # the available presence awaited below must answer this subscription,
    # not be one the transport sent before
    fence(user, SMS)
    user.consume_presences()
    user.send_presence(SMS, "subscribed")
    user.send_presence(SMS, "subscribe")
    user.wait_for_presence(SMS, "subscribed")
    available = user.wait_for_presence(SMS, "available")
    assert available.get("from").split("/")[0] == SMS


def test_probe_from_a_registered_user_gets_available_presence(polygate, user):
    register(user, IRC, {"nick": "prober"})
    subscribe_both_ways(user, IRC)
    fence(user, IRC)
    user.consume_presences()
    user.send_presence(IRC, "probe")
    available = user.wait_for_presence(IRC, "available")
    assert available.get("from").split("/")[0] == IRC


def test_remove_cancels_both_subscriptions(polygate, user):
    register(user, IRC, {"nick": "quitter", "password": "pw"})
    subscribe_both_ways(user, IRC)
    reply = user.iq_set(IRC, register_remove())
    assert reply.get("type") == "result", to_string(reply)
    user.wait_for_presence(IRC, "unsubscribe")
    user.wait_for_presence(IRC, "unsubscribed")


def test_a_login_gets_the_transport_available_once(polygate, user):
    """Issue 9: on login each transport showed itself available 4-5 times.
    The server probes the transport and broadcasts the user's presence to it
    (RFC 6121 §4.2.2, §4.3); one available presence answers both."""
    register(user, IRC, {"nick": "oncer"})
    subscribe_both_ways(user, IRC)
    user.reconnect()
    user.wait_for_presence(IRC, "available")
    # the ping goes out after the initial presence: its answer comes after
    # every presence the daemon sent for the login
    fence(user, IRC)
    extra = user.unconsumed_presences(IRC, "available")
    assert extra == [], "more available presences than one:\n" + "\n".join(
        to_string(p) for p in extra)
