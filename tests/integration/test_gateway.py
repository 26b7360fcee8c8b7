"""XEP-0100 jabber:iq:gateway: translate a legacy address into a JID."""

import pytest

from harness.client import error_condition, to_string
from harness.xep import NS_GATEWAY, gateway_get, gateway_set, q


@pytest.mark.parametrize("jid", ["irc.localhost", "sms.localhost"])
def test_gateway_get_returns_a_description_and_a_prompt(polygate, alice, jid):
    reply = alice.iq_get(jid, gateway_get())
    assert reply.get("type") == "result", to_string(reply)
    assert (reply.findtext(q(NS_GATEWAY, "query", "desc")) or "").strip()
    assert (reply.findtext(q(NS_GATEWAY, "query", "prompt")) or "").strip()


@pytest.mark.parametrize("jid,prompt,expected", [
    ("sms.localhost", "+1 555 123 4567", "+15551234567@sms.localhost"),
    ("sms.localhost", "+15551234567", "+15551234567@sms.localhost"),
    ("irc.localhost", "bob%irc.example.net", "bob%irc.example.net@irc.localhost"),
])
def test_gateway_set_translates_a_legacy_address_to_a_jid(polygate, alice, jid, prompt,
                                                          expected):
    reply = alice.iq_set(jid, gateway_set(prompt))
    assert reply.get("type") == "result", to_string(reply)
    assert reply.findtext(q(NS_GATEWAY, "query", "jid")) == expected
    # Older clients (XEP-0100 before 1.0) read the answer from <prompt/>.
    assert reply.findtext(q(NS_GATEWAY, "query", "prompt")) == expected


@pytest.mark.parametrize("jid,prompt", [
    ("sms.localhost", "12ab"),
    ("irc.localhost", "two words%irc.example.net"),
])
def test_gateway_set_with_an_invalid_address_is_jid_malformed(polygate, alice, jid, prompt):
    reply = alice.iq_set(jid, gateway_set(prompt))
    assert reply.get("type") == "error", to_string(reply)
    assert error_condition(reply)[1] == "jid-malformed"
