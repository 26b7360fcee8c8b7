"""The community bridge (issue 11) against a room's limits, on ejabberd 23.01.

Nothing an IRC person says is lost to a limit:
- A room with muc#roomconfig_maxusers refuses the puppets past the limit
  (XEP-0045 §7.2.10 says service-unavailable; ejabberd 23.01 answers
  resource-constraint).  Those people are held out: what they say comes
  through the relay as `<nick> text`, the channel is told once, and one of
  them takes the seat an occupant frees.
- max_puppets bounds the puppets of a bridge whatever the room allows.
- mod_muc's min_message_interval bounces a too-fast occupant's lines
  (resource-constraint, type wait): they go again, in order, once; past a
  puppet's outbox (100 lines) they come through the relay, still once.
- max_user_conferences (per bare JID, over the whole MUC service) bites
  when one IRC nick is in two bridged channels: the second puppet is held
  out the same way and tries again after limit_retry.
"""

import re
import time

import pytest

from harness import ejabberd as ejabberd_harness
from harness import util
from harness.bridge import (  # noqa: F401 (fixtures)
    MUC, NS_DATA, NS_MUC_OWNER, bridge_checker, bridge_configs, bridge_gateway, make_irc,
    ngircd, presence_of, run_command, util_text)
from harness.ircgw import (IRC, body, groupchat_from, happens_within, messages, presences,
                           ptype, wait_message, wait_presence)
from harness.polygate import run_binary

from test_bridge_ejabberd import bridged  # noqa: F401 (fixtures)

UNSHOWN = re.compile(r"\b(\d+) (?:people|person) on IRC could not be shown in the room\b")
# seconds between two groupchat messages of one occupant (mod_muc); a
# burst's lines must reach the room within it for their order to hold
# (pg-bridge-pace.c: the window of the first bounce)
MIN_MESSAGE_INTERVAL = 0.2


@pytest.fixture(scope="module")
def bridge_prosody(tmp_path_factory):
    """ejabberd with mod_muc's per-occupant limits on."""
    if not ejabberd_harness.available():
        pytest.fail("ejabberd is not installed (contrib/scripts/install-deps.sh)",
                    pytrace=False)
    server = ejabberd_harness.Ejabberd(str(tmp_path_factory.mktemp("ejabberd-limits")),
                                       components=(IRC, "ircnet.localhost"))
    with open(server.config_path, "a") as f:
        f.write("  mod_mam:\n    default: always\n"
                f"  mod_muc:\n    host: {MUC}\n"
                f"    min_message_interval: {MIN_MESSAGE_INTERVAL}\n"
                "    min_presence_interval: 0.3\n"
                "    max_user_conferences: 1\n"
                "    default_room_options:\n      mam: true\n      persistent: true\n"
                "      public: true\n")
    server.start()
    server.create_user("harness")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bridge_names():
    return ("full", "capped", "burst", "flood", "conf1", "conf2", "relayfull")


@pytest.fixture(scope="module")
def bridge_options():
    return {"capped": {"max_puppets": 2}, "conf2": {"limit_retry": 2},
            "relayfull": {"limit_retry": 2}}


def set_max_users(b, owner, n):
    form = (f"<query xmlns='{NS_MUC_OWNER}'><x xmlns='{NS_DATA}' type='submit'>"
            "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
            f"</value></field><field var='muc#roomconfig_maxusers'><value>{n}</value>"
            "</field></x></query>")
    reply = owner.client.iq_set(b.room, form)
    assert reply.get("type") == "result", util_text(reply)


def shown(owner, b, clients):
    """The IRC nicks of @clients the room shows now (available, not gone)."""
    state = {}
    for p in presences(owner.client):
        state[p.get("from")] = ptype(p) != "unavailable"
    return {c.nick for c in clients if state.get(f"{b.room}/{c.nick}")}


def via_relay(b, nick, text):
    return groupchat_from(f"{b.room}/{b.nick}", f"<{nick}> {text}")


def test_a_full_room_holds_people_out_and_gives_them_the_seat_that_frees(bridged):
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
    seated = shown(owner, b, irc)
    assert len(seated) == 3, seated
    held = [c for c in irc if c.nick not in seated]
    # one more IRC nick: no join is tried (no error in the room's eyes),
    # and the channel is not told again
    late = b.make_irc("late")
    late.join(b.channel)
    op.wait_for(lambda l: l.is_("JOIN", nick=late.nick), 20, "the late JOIN")
    # nothing they say is lost: the relay says it for them
    for client in held + [late]:
        client.privmsg(b.channel, f"from outside, {client.nick}")
    for client in held + [late]:
        wait_message(owner.client, via_relay(b, client.nick, f"from outside, {client.nick}"),
                     30, f"{client.nick}'s line through the relay", b.logs)
    assert not any(p.get("from") == f"{b.room}/{late.nick}" for p in presences(owner.client))
    log = open(b.gateway.log_path, errors="replace").read()
    assert f"{late.nick} could not join" not in log, "no join is tried past the limit"
    assert "held out and speak through the relay" in log, "the refusal is the last error"
    # a seated person leaves IRC: the oldest held one takes the seat
    leaver = next(c for c in irc[1:] if c.nick in seated)
    leaver.part(b.channel)
    wait_presence(owner.client, presence_of(b.room, leaver.nick, "unavailable"), 30,
                  "the leaver's puppet going", b.logs)
    wait_presence(owner.client, lambda p: p.get("from") in {f"{b.room}/{c.nick}" for c in held}
                  and ptype(p) != "unavailable", 30, "a held person taking the seat", b.logs)
    assert len(shown(owner, b, irc + [late])) == 3
    assert len(op.lines(lambda l: l.is_("NOTICE", nick=b.nick) and UNSHOWN.search(l.text))) \
        == 1, "the channel is told only once"


def test_past_max_puppets_people_speak_through_the_relay_and_status_counts_them(
        bridged, bridge_checker):
    b = bridged("capped")
    owner = b.create_room()
    op = b.chanop("op")
    irc = [op] + [b.make_irc(f"c{i}") for i in range(3)]
    for client in irc[1:]:
        client.join(b.channel)
    b.approve(op)
    notice = op.wait_for(lambda l: l.is_("NOTICE", nick=b.nick, target=b.channel)
                         and UNSHOWN.search(l.text), 60, "the bridge's NOTICE", b.logs)
    assert UNSHOWN.search(notice.text).group(1) == "2", notice.text
    assert "at most 2" in notice.text, notice.text
    util.wait_for(lambda: len(shown(owner, b, irc)) == 2, 30, "two puppets in the room",
                  b.gateway.log_path)
    held = [c for c in irc if c.nick not in shown(owner, b, irc)]
    assert len(held) == 2
    held[0].privmsg(b.channel, "no seat, still heard")
    wait_message(owner.client, via_relay(b, held[0].nick, "no seat, still heard"), 30,
                 "the held person's line through the relay", b.logs)
    listing = run_command(bridge_checker, "bridges")
    assert re.search(rf"{b.name}: .*puppets 2 in the room of 4 \(2 held out", listing), listing
    util.wait_for(lambda: "2 held out" in run_binary(
        b.gateway.binary, "bridge", "status", "--bridge", b.name, "--config",
        b.gateway.config_path).stdout, 30, "bridge status counting 2 held out")
    # a puppet's person leaves: one held person gets the seat
    leaver = next(c for c in irc[1:] if c not in held)
    leaver.part(b.channel)
    wait_presence(owner.client, lambda p: p.get("from") in {f"{b.room}/{c.nick}" for c in held}
                  and ptype(p) != "unavailable", 30, "a held person taking the seat", b.logs)


def test_a_burst_from_one_irc_nick_arrives_once_and_in_order_past_min_message_interval(
        bridged):
    b = bridged("burst")
    owner = b.create_room()
    op = b.chanop("op")
    talker = b.make_irc("t")
    talker.join(b.channel)
    b.approve(op)
    wait_presence(owner.client, presence_of(b.room, talker.nick), 60, "the talker's puppet",
                  b.logs)
    lines = [f"burst line {i:02d}" for i in range(12)]
    talker.send_many([f"PRIVMSG {b.channel} :{text}" for text in lines])
    # ejabberd holds one early line and bounces the rest; each must come
    # from the puppet, once, in order
    deadline = time.monotonic() + 12 * MIN_MESSAGE_INTERVAL + 30

    def got():
        return [body(m) for m in messages(owner.client)
                if m.get("from") == f"{b.room}/{talker.nick}"
                and (body(m) or "").startswith("burst line")]
    util.wait_for(lambda: len(got()) >= len(lines), deadline - time.monotonic(),
                  "every line of the burst", b.gateway.log_path)
    assert not happens_within(lambda: len(got()) > len(lines), 2), got()
    assert got() == lines
    assert not any((body(m) or "").startswith(f"<{talker.nick}>")
                   for m in messages(owner.client)), "none needed the relay"
    log = open(b.gateway.log_path, errors="replace").read()
    assert "bounced a line" in log, "the room's rate limit was met (else this tests nothing)"


def test_a_flood_past_the_puppets_outbox_comes_through_the_relay_and_nothing_is_lost(bridged):
    b = bridged("flood")
    owner = b.create_room()
    op = b.chanop("op")
    talker = b.make_irc("t")
    talker.join(b.channel)
    b.approve(op)
    wait_presence(owner.client, presence_of(b.room, talker.nick), 60, "the talker's puppet",
                  b.logs)
    # a first burst makes the puppet paced; the second outruns its outbox
    first = [f"flood a{i:03d}" for i in range(5)]
    talker.send_many([f"PRIVMSG {b.channel} :{text}" for text in first])
    wait_message(owner.client, groupchat_from(f"{b.room}/{talker.nick}", first[2]), 30,
                 "the first burst getting through", b.logs)
    second = [f"flood b{i:03d}" for i in range(130)]
    talker.send_many([f"PRIVMSG {b.channel} :{text}" for text in second])
    lines = first + second

    def got():
        own, relayed_ = [], []
        for m in messages(owner.client):
            text = body(m) or ""
            if m.get("from") == f"{b.room}/{talker.nick}" and text.startswith("flood "):
                own.append(text)
            elif m.get("from") == f"{b.room}/{b.nick}" and \
                    text.startswith(f"<{talker.nick}> flood "):
                relayed_.append(text.split("> ", 1)[1])
        return own, relayed_
    util.wait_for(lambda: sum(map(len, got())) >= len(lines),
                  len(lines) * MIN_MESSAGE_INTERVAL * 2 + 60, "every line of the flood",
                  b.gateway.log_path)
    assert not happens_within(lambda: sum(map(len, got())) > len(lines), 2), got()
    own, relayed_ = got()
    assert sorted(own + relayed_) == sorted(lines), "every line once"
    assert own == [t for t in lines if t in own], "the puppet's lines in order"
    assert relayed_ == [t for t in lines if t in relayed_], "the relay's lines in order"
    assert relayed_, "the outbox overflowed (else this tests nothing)"


def test_one_irc_nick_in_two_bridges_past_max_user_conferences_is_held_then_seated(bridged):
    first, second = bridged("conf1"), bridged("conf2")
    owners = [first.create_room(), second.create_room()]
    ops = [first.chanop("op"), second.chanop("op")]
    both = first.make_irc("d")
    both.join(first.channel)
    both.join(second.channel)
    first.approve(ops[0])
    wait_presence(owners[0].client, presence_of(first.room, both.nick), 60,
                  "the puppet in the first room", first.logs)
    # the same bare JID (nick%server@irc) may be in one room only
    second.approve(ops[1])
    notice = ops[1].wait_for(lambda l: l.is_("NOTICE", nick=second.nick)
                             and UNSHOWN.search(l.text), 60, "the NOTICE", second.logs)
    assert "too many conferences" in notice.text, notice.text
    both.privmsg(first.channel, "heard in both")
    both.privmsg(second.channel, "heard in both")
    wait_message(owners[1].client, via_relay(second, both.nick, "heard in both"), 30,
                 "the line through the second relay", second.logs)
    wait_message(owners[0].client, groupchat_from(f"{first.room}/{both.nick}", "heard in both"),
                 30, "the line from the first puppet", first.logs)
    # leaving the first channel frees the conference: after limit_retry
    # the held puppet joins the second room by itself
    both.part(first.channel)
    wait_presence(owners[1].client, presence_of(second.room, both.nick), 30,
                  "the held puppet in the second room", second.logs)


def test_a_relay_the_full_room_refuses_joins_when_a_seat_frees(bridged):
    b = bridged("relayfull")
    owner = b.create_room()
    set_max_users(b, owner, 5)
    # owners and admins get five seats more than max_users (ejabberd's
    # max_users_admin_threshold): ten of them leave none for the relay
    crowd = [b.occupant() for _ in range(9)]
    for person in crowd:
        b.set_affiliation(owner, str(person.client.jid).split("/")[0], "admin")
        person.join()
    op = b.chanop("op")
    b.approve(op)
    util.wait_for(lambda: "the relay could not join" in open(b.gateway.log_path,
                                                               errors="replace").read(),
                  30, "the relay's refusal", b.gateway.log_path)
    crowd[0].close()
    b.people.remove(crowd[0])
    wait_presence(owner.client, presence_of(b.room, b.nick), 30,
                  "the relay in the room once a seat is free", b.logs)
    # the room is full for puppets: the chanop speaks through the relay
    op.privmsg(b.channel, "in after all")
    wait_message(owner.client, via_relay(b, op.nick, "in after all"), 30,
                 "the chanop's line through the relay", b.logs)
