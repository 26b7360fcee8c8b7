"""The gateway-wide cap on legacy connections (issue 8, item 4): with
[polygate] max_links = 2, two users each get their IRC connection, and a
third user's join gets an error presence (resource-constraint, wait) that
names the cap, until a connection is let go.  Real Prosody and ngircd.
"""

import re

import pytest

from harness import util

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, gateway, irc_checker, irc_prosody, join_room, make_irc_user, ngircd, ngircd_password,
    occupant_presence, room_jid, send_presence, unique)
from harness.metrics import error_text, metric, metrics

MAX_LINKS = 2


@pytest.fixture(scope="module")
def gateway_options():
    return {"global": {"max_links": MAX_LINKS}}


def test_a_link_past_the_gateways_max_links_gets_resource_constraint(gateway, make_irc_user):
    channel = "#" + unique("g")
    first = make_irc_user()
    first.join(channel)
    make_irc_user().join(channel)

    third = make_irc_user()
    room = room_jid(channel)
    join_room(third.client, room, third.nick)
    refused = third.wait_presence(
        lambda p: p.get("type") == "error" and p.get("from") == f"{room}/{third.nick}", 30,
        "the error presence of the third user's join")
    assert error_condition(refused) == ("wait", "resource-constraint"), to_string(refused)
    assert f"max_links = {MAX_LINKS}" in error_text(refused), to_string(refused)
    text = metrics(gateway)
    assert metric(text, "polygate_limit_gateway", limit="links") == MAX_LINKS, text
    assert metric(text, "polygate_limit_rejections_total", transport=IRC,
                  limit="gateway_links") == 1, text

    # the first user goes offline: their session ends after its grace
    # period and lets its connection go, which makes room for the third
    send_presence(first.client, IRC, ptype="unavailable")
    util.wait_for(lambda: links(gateway) == MAX_LINKS - 1, 30,
                  "the first user's link to be let go", gateway.log_path)
    join_room(third.client, room, third.nick)
    third.wait_presence(occupant_presence(f"{room}/{third.nick}", codes=(110,)), 45,
                        "the self-presence of the third user's join")


def links(gateway):
    return int(sum(float(v) for v in re.findall(r'^polygate_links\{[^}]*\} (\S+)$',
                                                 metrics(gateway), re.M)))
