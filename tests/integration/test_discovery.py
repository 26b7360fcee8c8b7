"""Each transport JID answers XEP-0030 service discovery and XEP-0199 ping,
and refuses IQs it does not know with service-unavailable."""

import pytest

from harness.client import error_condition
from harness.xep import NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, q, disco_info, disco_items

TRANSPORTS = [
    ("irc.localhost", "irc", "IRC gateway"),
    ("sms.localhost", "sms", "SMS gateway"),
]

REQUIRED_FEATURES = {
    "jabber:iq:register",
    "jabber:iq:gateway",
    NS_DISCO_INFO,
    NS_DISCO_ITEMS,
    NS_PING,
}


@pytest.mark.parametrize("jid,gateway_type,name", TRANSPORTS)
def test_disco_info_names_a_gateway_of_the_transport_type(polygate, alice, jid, gateway_type,
                                                          name):
    reply = alice.iq_get(jid, disco_info())
    assert reply.get("type") == "result", error_condition(reply)
    assert reply.get("from") == jid
    identities = reply.findall(q(NS_DISCO_INFO, "query", "identity"))
    assert [(i.get("category"), i.get("type"), i.get("name")) for i in identities] == [
        ("gateway", gateway_type, name)]


@pytest.mark.parametrize("jid", [t[0] for t in TRANSPORTS] + ["purple.localhost"])
def test_disco_info_lists_registration_gateway_disco_and_ping_features(polygate, alice, jid):
    reply = alice.iq_get(jid, disco_info())
    assert reply.get("type") == "result", error_condition(reply)
    features = {f.get("var") for f in reply.findall(q(NS_DISCO_INFO, "query", "feature"))}
    assert REQUIRED_FEATURES <= features, f"missing: {REQUIRED_FEATURES - features}"


def test_disco_info_of_a_purple_transport_names_a_gateway(polygate, alice):
    reply = alice.iq_get("purple.localhost", disco_info())
    identities = reply.findall(q(NS_DISCO_INFO, "query", "identity"))
    assert identities and identities[0].get("category") == "gateway"
    assert identities[0].get("name") == "XMPP gateway"


@pytest.mark.parametrize("jid", ["irc.localhost", "sms.localhost", "purple.localhost"])
def test_disco_items_of_a_transport_is_an_empty_result(polygate, alice, jid):
    reply = alice.iq_get(jid, disco_items())
    assert reply.get("type") == "result", error_condition(reply)
    query = reply.find(q(NS_DISCO_ITEMS, "query"))
    assert query is not None
    assert list(query) == []


@pytest.mark.parametrize("jid", ["irc.localhost", "sms.localhost", "purple.localhost"])
def test_ping_gets_an_empty_result(polygate, alice, jid):
    reply = alice.iq_get(jid, f"<ping xmlns='{NS_PING}'/>")
    assert reply.get("type") == "result", error_condition(reply)
    assert list(reply) == []


@pytest.mark.parametrize("iq_type", ["get", "set"])
def test_unknown_iq_is_service_unavailable(polygate, alice, iq_type):
    reply = alice.iq(iq_type, "irc.localhost", "<query xmlns='urn:example:polygate:unknown'/>")
    assert reply.get("type") == "error"
    assert error_condition(reply) == ("cancel", "service-unavailable")


def test_daemon_keeps_serving_after_an_unknown_iq(polygate, alice):
    alice.iq_get("sms.localhost", "<nonsense xmlns='urn:example:polygate:unknown'><a/></nonsense>")
    reply = alice.iq_get("sms.localhost", f"<ping xmlns='{NS_PING}'/>")
    assert reply.get("type") == "result"


def _features(reply):
    return {f.get("var") for f in reply.findall(q(NS_DISCO_INFO, "query", "feature"))}


def test_a_contact_claims_what_the_gateway_does_for_it(polygate, alice):
    """XEP-0030 on contact JIDs (src/session/pg-contact-caps.c): a contact of a
    buddy-list network has chat states (and vCard avatars), an IRC nick has
    neither.  XEP-0184 receipts only where the worker carries real ones
    both ways (prpl-jabber, session/pg-receipts.c), never on IRC."""
    purple = alice.iq_get("bob\\40legacy.example@purple.localhost", disco_info())
    irc = alice.iq_get("somenick%irc.example.net@irc.localhost", disco_info())
    for reply in (purple, irc):
        assert reply.get("type") == "result", error_condition(reply)
        identities = reply.findall(q(NS_DISCO_INFO, "query", "identity"))
        assert [(i.get("category"), i.get("type")) for i in identities] == [("client", "pc")]
    assert "urn:xmpp:receipts" not in _features(irc)
    assert {"http://jabber.org/protocol/chatstates", "vcard-temp",
            "urn:xmpp:receipts"} <= _features(purple)
    assert not {"http://jabber.org/protocol/chatstates", "vcard-temp"} & _features(irc)
