"""The channel list (issue 10, item 8): disco#items on the server's JID
(`127.0.0.1@irc.localhost`, biboumi's scheme) lists the channels of IRC
LIST, paged with XEP-0059 result set management.

A raw IRC client makes 60 channels on a fresh ngircd (one per test
module, so the server has exactly those); the user pages through them by 20.
"""

import xml.etree.ElementTree as ET

import pytest

from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, NS_DISCO_INFO, SERVER, gateway, gateway_options, irc_checker, irc_prosody,
    make_irc_client, make_irc_user, ngircd, ngircd_password, unique)
from harness.client import error_condition

NS_ITEMS = "http://jabber.org/protocol/disco#items"
NS_RSM = "http://jabber.org/protocol/rsm"
SERVER_JID = f"{SERVER}@{IRC}"
N_CHANNELS = 60


@pytest.fixture(scope="module")
def channels(ngircd):
    """60 channels with one member each (a raw IRC client), one with a topic."""
    from harness.irc import IrcClient
    prefix = "#" + unique("l")
    names = [f"{prefix}-{i:02d}" for i in range(N_CHANNELS)]
    client = IrcClient(ngircd.port, unique("lister"))
    client.connect()
    client.send_many([f"JOIN {name}" for name in names])
    last = names[-1]
    client.wait_for(lambda l: l.is_("JOIN", target=last), 30, "the last JOIN echo")
    client.topic(names[0], "the first channel")
    client.wait_for(lambda l: l.is_("TOPIC", target=names[0]), 20, "the TOPIC echo")
    yield names
    client.close()


def items_query(max_=None, after=None, before=None):
    rsm = ""
    if max_ is not None or after is not None or before is not None:
        parts = []
        if max_ is not None:
            parts.append(f"<max>{max_}</max>")
        if after is not None:
            parts.append(f"<after>{after}</after>")
        if before is not None:
            parts.append("<before/>" if before == "" else f"<before>{before}</before>")
        rsm = f"<set xmlns='{NS_RSM}'>{''.join(parts)}</set>"
    return f"<query xmlns='{NS_ITEMS}'>{rsm}</query>"


def page(reply):
    """(item JIDs, {count, first, first_index, last}) of a disco#items result."""
    assert reply.get("type") == "result", ET.tostring(reply, encoding="unicode")
    query = reply.find(f"{{{NS_ITEMS}}}query")
    jids = [item.get("jid") for item in query.findall(f"{{{NS_ITEMS}}}item")]
    rsm = query.find(f"{{{NS_RSM}}}set")
    info = {}
    if rsm is not None:
        count = rsm.find(f"{{{NS_RSM}}}count")
        first = rsm.find(f"{{{NS_RSM}}}first")
        last = rsm.find(f"{{{NS_RSM}}}last")
        info["count"] = int(count.text) if count is not None else None
        info["first"] = first.text if first is not None else None
        info["first_index"] = int(first.get("index")) if first is not None else None
        info["last"] = last.text if last is not None else None
    return jids, info


def channel_jid(name):
    return f"{name}%{SERVER}@{IRC}"


def all_pages(client, jid, size):
    """Every page of jid's disco#items, by size, following <last/>."""
    pages = []
    after = None
    while True:
        jids, info = page(client.iq_get(jid, items_query(max_=size, after=after), timeout=60))
        pages.append((jids, info))
        if not jids:
            return pages
        assert len(pages) < 100, "paging never ends"
        after = info["last"]


def test_the_server_jid_lists_every_channel_paged_by_20(channels, make_irc_user):
    alice = make_irc_user()
    pages = all_pages(alice.client, SERVER_JID, 20)
    listed = [jid for jids, _ in pages for jid in jids]
    count = pages[0][1]["count"]
    # ngircd lists its own &SERVER channel too
    assert set(channel_jid(name) for name in channels) <= set(listed), listed
    assert len(listed) == count == len(set(listed)), "each channel once, as counted"
    assert listed == sorted(listed), "in one order, the UIDs'"
    for n, (jids, info) in enumerate(pages[:-1]):
        assert len(jids) == 20 or n == len(pages) - 2, f"page {n} holds {len(jids)}"
        assert info["count"] == count
        assert info["first"] == jids[0] and info["last"] == jids[-1]
        assert info["first_index"] == 20 * n
    # past the end: an empty page that still gives the count
    jids, info = pages[-1]
    assert jids == [] and info["count"] == count and info["first"] is None


def test_paging_backwards_from_the_end(channels, make_irc_user):
    alice = make_irc_user()
    listed = [j for jids, _ in all_pages(alice.client, SERVER_JID, 100) for j in jids]
    jids, info = page(alice.client.iq_get(SERVER_JID, items_query(max_=20, before=""),
                                          timeout=60))
    assert jids == listed[-20:]
    assert info["first_index"] == len(listed) - 20
    jids, info = page(alice.client.iq_get(SERVER_JID, items_query(max_=20,
                                                                  before=info["first"])))
    assert jids == listed[-40:-20]


def test_max_zero_gives_only_the_count(channels, make_irc_user):
    alice = make_irc_user()
    jids, info = page(alice.client.iq_get(SERVER_JID, items_query(max_=0), timeout=60))
    assert jids == [] and info["count"] >= N_CHANNELS


def test_an_unknown_after_is_item_not_found(channels, make_irc_user):
    alice = make_irc_user()
    reply = alice.client.iq_get(SERVER_JID, items_query(max_=20, after="#nope%x@y"),
                                timeout=60)
    assert reply.get("type") == "error"
    assert error_condition(reply) == ("cancel", "item-not-found")


def test_the_fixed_server_is_listed_on_its_server_jid_too(channels, make_irc_user):
    alice = make_irc_user(transports=(IRCNET,))
    jids, info = page(alice.client.iq_get(f"{SERVER}@{IRCNET}", items_query(max_=5),
                                          timeout=60))
    assert info["count"] >= N_CHANNELS and len(jids) == 5
    assert all(j.endswith(f"@{IRCNET}") and "%" not in j for j in jids), jids


def test_disco_info_on_the_server_jid_says_conference(channels, make_irc_user):
    alice = make_irc_user()
    reply = alice.client.iq_get(SERVER_JID, f"<query xmlns='{NS_DISCO_INFO}'/>")
    assert reply.get("type") == "result"
    identities = [(i.get("category"), i.get("type")) for i in
                  reply.find(f"{{{NS_DISCO_INFO}}}query").findall(f"{{{NS_DISCO_INFO}}}identity")]
    assert ("conference", "irc") in identities


def test_a_user_who_did_not_register_lists_the_channels_too(channels, irc_prosody):
    """IRC takes guests (issue 10, item 1): the list is theirs as well."""
    from harness.client import XmppClient
    jid = irc_prosody.create_user(unique("guest"))
    with XmppClient(jid, irc_prosody.passwords[jid], port=irc_prosody.c2s_port).connect() as c:
        jids, info = page(c.iq_get(SERVER_JID, items_query(max_=20), timeout=60))
        assert len(jids) == 20 and info["count"] >= N_CHANNELS
