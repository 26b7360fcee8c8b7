"""The community bridge (issue 11) against a room's limits, on ejabberd 23.01.

A room with muc#roomconfig_maxusers refuses the puppets past the limit
(XEP-0045 §7.2.10 says service-unavailable; ejabberd 23.01 answers
resource-constraint).  The bridge does not try them
again and again: it records the refusal as its last error, stops adding
puppets, and tells the IRC channel once, in one NOTICE from its own
client, how many people could not be shown in the room.
"""

import re

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    NS_DATA, NS_MUC_OWNER, bridge_checker, bridge_configs, bridge_gateway, bridge_options,
    make_irc, ngircd, presence_of, util_text)
from harness.ircgw import happens_within, presences, ptype, wait_presence

from test_bridge_ejabberd import bridge_prosody, bridged  # noqa: F401 (fixtures)

UNSHOWN = re.compile(r"\b(\d+) (?:people|person) on IRC could not be shown in the room\b")


@pytest.fixture(scope="module")
def bridge_names():
    return ("full",)


def set_max_users(b, owner, n):
    form = (f"<query xmlns='{NS_MUC_OWNER}'><x xmlns='{NS_DATA}' type='submit'>"
            "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
            f"</value></field><field var='muc#roomconfig_maxusers'><value>{n}</value>"
            "</field></x></query>")
    reply = owner.client.iq_set(b.room, form)
    assert reply.get("type") == "result", util_text(reply)


def test_a_full_room_is_told_once_on_irc_and_not_retried(bridged):
    b = bridged("full")
    owner = b.create_room()
    # ejabberd's smallest choice; the owner and the relay take two seats
    # (the relay, an owner, may use the admins' extra seats)
    set_max_users(b, owner, 5)
    op = b.chanop("op")
    irc = [op] + [b.make_irc(f"f{i}") for i in range(4)]
    for client in irc[1:]:
        client.join(b.channel)
    b.approve(op)
    notice = op.wait_for(lambda l: l.is_("NOTICE", nick=b.nick, target=b.channel)
                         and UNSHOWN.search(l.text), 60, "the bridge's NOTICE", b.logs)
    assert UNSHOWN.search(notice.text).group(1) == "2", notice.text
    # three puppets fit (owner + relay + 3 = 5), two do not
    shown = {p.get("from") for p in presences(owner.client) if ptype(p) != "unavailable"}
    assert len(shown & {f"{b.room}/{c.nick}" for c in irc}) == 3, shown
    # one more IRC nick: no join is tried (no error in the room's eyes),
    # and the channel is not told again
    late = b.make_irc("late")
    late.join(b.channel)
    op.wait_for(lambda l: l.is_("JOIN", nick=late.nick), 20, "the late JOIN")
    assert not happens_within(lambda: len(op.lines(
        lambda l: l.is_("NOTICE", nick=b.nick) and UNSHOWN.search(l.text))) > 1, 8), \
        "the channel is told only once"
    assert not any(p.get("from") == f"{b.room}/{late.nick}" for p in presences(owner.client))
    log = open(b.gateway.log_path, errors="replace").read()
    assert f"{late.nick} could not join" not in log, "no join is tried past the limit"
    assert "no more puppets are sent into the room" in log, "the refusal is the last error"
