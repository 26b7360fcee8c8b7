"""Room history of IRC channels: XEP-0359 stanza-ids on live lines, the
XEP-0313 archive on the room's JID with XEP-0059 paging and filters,
XEP-0045 §7.2.15 history on join, and persistent channels that stay joined
(and recording) while their user is offline, also across a restart.

The chain is real: slixmpp -> Prosody -> polygate -> polygate-purple ->
ngircd <- raw IRC client "bob".  Waits are on events, never sleeps.
"""

import os
import signal
from xml.sax.saxutils import quoteattr

from harness import util
from harness.client import XmppClient, error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, NS_CLIENT, NS_DISCO_INFO, bare, gateway, gateway_options, groupchat_from, in_a_room,
    irc_checker, irc_prosody, join_room, leave_room, make_irc_client, make_irc_user, messages,
    ngircd, ngircd_password, occupant_presence, ptype, record_stream, room_jid, send_presence,
    statuses, stream, subject, sync, unique, wait_message, wait_until)

NS_MAM = "urn:xmpp:mam:2"
NS_SID = "urn:xmpp:sid:0"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_FORWARD = "urn:xmpp:forward:0"
NS_DELAY = "urn:xmpp:delay"
NS_DATA = "jabber:x:data"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
NS_ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"


# -- helpers -------------------------------------------------------------------

def stanza_id(message):
    element = message.find(f"{{{NS_SID}}}stanza-id")
    return None if element is None else (element.get("id"), element.get("by"))


def mam_query(user, room, fields=None, rsm=None, flip=False):
    """A MAM query on room; returns (iq reply, [(id, from, body, stamp)])."""
    queryid = unique("q")
    form = ""
    if fields:
        form = (f"<x xmlns='{NS_DATA}' type='submit'><field var='FORM_TYPE' type='hidden'>"
                f"<value>{NS_MAM}</value></field>")
        for var, value in fields.items():
            form += f"<field var={quoteattr(var)}><value>{value}</value></field>"
        form += "</x>"
    paging = ""
    if rsm is not None:
        paging = f"<set xmlns='{NS_RSM}'>"
        for name, value in rsm.items():
            paging += f"<{name}>{value}</{name}>" if value is not None else f"<{name}/>"
        paging += "</set>"
    flip_page = "<flip-page/>" if flip else ""
    reply = user.client.iq_set(
        room, f"<query xmlns='{NS_MAM}' queryid='{queryid}'>{form}{paging}{flip_page}</query>")
    results = []
    for message in messages(user.client, lambda m: m.find(f"{{{NS_MAM}}}result") is not None
                            and m.find(f"{{{NS_MAM}}}result").get("queryid") == queryid):
        result = message.find(f"{{{NS_MAM}}}result")
        forwarded = result.find(f"{{{NS_FORWARD}}}forwarded")
        inner = forwarded.find(f"{{{NS_CLIENT}}}message")
        text = inner.find(f"{{{NS_CLIENT}}}body")
        delay = forwarded.find(f"{{{NS_DELAY}}}delay")
        assert bare(message.get("from")) == bare(room), "results come from the archive"
        results.append((result.get("id"), inner.get("from"), text.text if text is not None
                        else None, delay.get("stamp") if delay is not None else None))
    return reply, results


def fin(reply):
    element = reply.find(f"{{{NS_MAM}}}fin")
    assert element is not None, f"no <fin/> in {to_string(reply)}"
    rsm = element.find(f"{{{NS_RSM}}}set")
    first = rsm.find(f"{{{NS_RSM}}}first") if rsm is not None else None
    last = rsm.find(f"{{{NS_RSM}}}last") if rsm is not None else None
    return (element.get("complete") in ("true", "1"),
            first.text if first is not None else None,
            last.text if last is not None else None)


def bob_says(user, bob, channel, room, texts):
    """bob says each text; the user sees the last one."""
    for text in texts:
        bob.privmsg(channel, text)
    user.wait_message(groupchat_from(f"{room}/{bob.nick}", texts[-1]), 30, "bob's last line")


def bodies(results):
    return [text for _, _, text, _ in results]


def configure_persistent(user, room, on=True):
    value = "1" if on else "0"
    return user.client.iq_set(
        room, f"<query xmlns='{NS_MUC_OWNER}'><x xmlns='{NS_DATA}' type='submit'>"
        f"<field var='FORM_TYPE'><value>{NS_ROOMCONFIG}</value></field>"
        f"<field var='muc#roomconfig_persistentroom'><value>{value}</value></field>"
        f"</x></query>")


# -- negative cases first --------------------------------------------------------

def test_an_unknown_archive_id_is_item_not_found(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob_says(alice, bob, channel, room, ["one"])
    reply, results = mam_query(alice, room, rsm={"max": 5, "after": "123456"})
    assert reply.get("type") == "error" and error_condition(reply)[1] == "item-not-found"
    assert results == []
    reply, _ = mam_query(alice, room, fields={"before-id": "not-an-id"})
    assert reply.get("type") == "error" and error_condition(reply)[1] == "item-not-found"


def test_a_malformed_time_or_an_unknown_field_is_bad_request(make_irc_user, make_irc_client):
    alice, _bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    reply, _ = mam_query(alice, room, fields={"start": "yesterday"})
    assert reply.get("type") == "error" and error_condition(reply)[1] == "bad-request"
    reply, _ = mam_query(alice, room, fields={"withtext": "hello"})
    assert reply.get("type") == "error" and error_condition(reply)[1] == "bad-request"


def test_another_users_archive_holds_nothing_from_before_they_joined(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob_says(alice, bob, channel, room, ["said before carol came"])
    carol = make_irc_user()
    carol.join(channel)
    sync(carol, bob, channel, room)
    _, results = mam_query(carol, room)
    assert "said before carol came" not in bodies(results)
    _, results = mam_query(alice, room)
    assert "said before carol came" in bodies(results)


def test_configuring_persistence_from_outside_the_room_is_refused(make_irc_user,
                                                                   make_irc_client):
    alice, _bob, channel, _room = in_a_room(make_irc_user, make_irc_client)
    other = room_jid("#" + unique("elsewhere"))
    reply = configure_persistent(alice, other)
    assert reply.get("type") == "error" and error_condition(reply)[1] == "not-acceptable"


# -- stanza-ids and the archive ------------------------------------------------------

def test_a_live_line_carries_the_stanza_id_the_archive_returns(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob.privmsg(channel, "archived line")
    live = alice.wait_message(groupchat_from(f"{room}/{bob.nick}", "archived line"), 30,
                              "bob's line")
    sid = stanza_id(live)
    assert sid is not None, "a live groupchat line carries a XEP-0359 stanza-id"
    assert bare(sid[1]) == bare(room), "by the room (XEP-0359 §3)"
    # our own line, reflected, has one too
    alice.send(room, "my own line", mtype="groupchat")
    echo = alice.wait_message(groupchat_from(f"{room}/{alice.nick}", "my own line"), 30,
                              "the reflection")
    assert stanza_id(echo) is not None
    reply, results = mam_query(alice, room)
    assert reply.get("type") == "result"
    ids = {text: archive_id for archive_id, _, text, _ in results}
    assert ids.get("archived line") == sid[0]
    assert ids.get("my own line") == stanza_id(echo)[0]
    sender = {text: frm for _, frm, text, _ in results}
    assert sender["archived line"] == f"{room}/{bob.nick}"
    assert sender["my own line"] == f"{room}/{alice.nick}"


def test_disco_info_and_the_query_form_show_the_archive(make_irc_user, make_irc_client):
    alice, _bob, _channel, room = in_a_room(make_irc_user, make_irc_client)
    reply = alice.client.iq_get(room, f"<query xmlns='{NS_DISCO_INFO}'/>")
    features = [f.get("var") for f in
                reply.find(f"{{{NS_DISCO_INFO}}}query").findall(f"{{{NS_DISCO_INFO}}}feature")]
    assert NS_MAM in features and NS_SID in features
    form = alice.client.iq_get(room, f"<query xmlns='{NS_MAM}'/>")
    assert form.get("type") == "result"
    fields = [f.get("var") for f in form.iter(f"{{{NS_DATA}}}field")]
    for var in ("FORM_TYPE", "with", "start", "end", "before-id", "after-id"):
        assert var in fields, f"{var} in the query form {fields}"


def test_the_archive_pages_forward_and_backward(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    texts = [f"line {i}" for i in range(7)]
    bob_says(alice, bob, channel, room, texts)

    reply, page = mam_query(alice, room, rsm={"max": 3})
    assert bodies(page) == texts[:3]
    complete, first, last = fin(reply)
    assert not complete and first == page[0][0] and last == page[-1][0]
    reply, page = mam_query(alice, room, rsm={"max": 3, "after": last})
    assert bodies(page) == texts[3:6]
    reply, page = mam_query(alice, room, rsm={"max": 3, "after": fin(reply)[2]})
    assert bodies(page) == texts[6:]
    assert fin(reply)[0], "the last page is complete"

    # an empty <before/>: the last page, oldest first
    reply, page = mam_query(alice, room, rsm={"max": 2, "before": None})
    assert bodies(page) == texts[5:]
    reply, page = mam_query(alice, room, rsm={"max": 10, "before": fin(reply)[1]})
    assert bodies(page) == texts[:5]
    assert fin(reply)[0]
    # <flip-page/>: the same page, newest first
    _, page = mam_query(alice, room, rsm={"max": 2, "before": None}, flip=True)
    assert bodies(page) == [texts[6], texts[5]]


def test_the_archive_filters_by_occupant_time_and_id(make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob_says(alice, bob, channel, room, ["b1", "b2"])
    alice.send(room, "a1", mtype="groupchat")
    alice.wait_message(groupchat_from(f"{room}/{alice.nick}", "a1"), 30, "the reflection")
    bob_says(alice, bob, channel, room, ["b3"])

    _, results = mam_query(alice, room, fields={"with": f"{room}/{bob.nick}"})
    assert bodies(results) == ["b1", "b2", "b3"]
    _, results = mam_query(alice, room, fields={"with": f"{room}/{alice.nick}"})
    assert bodies(results) == ["a1"]
    _, everything = mam_query(alice, room)
    stamps = {text: stamp for _, _, text, stamp in everything}
    _, results = mam_query(alice, room, fields={"start": stamps["b2"], "end": stamps["a1"]})
    assert bodies(results) == ["b2", "a1"]
    ids = {text: archive_id for archive_id, _, text, _ in everything}
    _, results = mam_query(alice, room, fields={"after-id": ids["b1"], "before-id": ids["b3"]})
    assert bodies(results) == ["b2", "a1"]


# -- history on join ------------------------------------------------------------

def join_with_history(irc_prosody, alice, room, history):
    """Another resource of alice joins the room (already joined on IRC, so
    no PART/JOIN races on the legacy side) asking for @history (attributes,
    or None: no <history/>); the history lines it gets before the subject,
    as (from, body, delay stamp)."""
    client = XmppClient(alice.jid, irc_prosody.passwords[alice.jid],
                        port=irc_prosody.c2s_port).connect()
    try:
        record_stream(client)
        attrs = "".join(f" {k}={quoteattr(str(v))}" for k, v in (history or {}).items())
        inner = f"<history{attrs}/>" if history is not None else ""
        client.send_raw(f"<presence xmlns='{NS_CLIENT}' "
                        f"to={quoteattr(room + '/' + alice.nick)}><x xmlns='{NS_MUC}'>{inner}</x>"
                        "</presence>")
        wait_message(client, lambda m: bare(m.get("from")) == bare(room)
                     and subject(m) is not None, 45, "the subject of the join")
        out = []
        for kind, element in stream(client):
            if kind == "message" and subject(element) is not None:
                break
            if kind == "message" and bare(element.get("from")) == bare(room):
                delay = element.find(f"{{{NS_DELAY}}}delay")
                text = element.find(f"{{{NS_CLIENT}}}body")
                out.append((element.get("from"), text.text if text is not None else None,
                            delay.get("stamp") if delay is not None else None))
        return out
    finally:
        client.disconnect()


def test_a_join_gets_the_history_it_asks_for_with_delays(irc_prosody, make_irc_user,
                                                         make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    bob_says(alice, bob, channel, room, ["h1", "h2", "h3", "h4"])

    got = join_with_history(irc_prosody, alice, room, {"maxstanzas": 2})
    assert [text for _, text, _ in got] == ["h3", "h4"]
    assert all(stamp is not None for _, _, stamp in got), "each carries a XEP-0203 delay"
    assert all(frm == f"{room}/{bob.nick}" for frm, _, _ in got)

    assert join_with_history(irc_prosody, alice, room, {"maxchars": 0}) == []
    assert join_with_history(irc_prosody, alice, room, {"since": "2999-01-01T00:00:00Z"}) == []
    got = join_with_history(irc_prosody, alice, room, {"seconds": 3600, "maxstanzas": 10})
    assert [text for _, text, _ in got] == ["h1", "h2", "h3", "h4"]
    # maxchars counts whole stanzas: room for one, not two
    one = len(to_string(messages(alice.client, groupchat_from(f"{room}/{bob.nick}", "h4"))[0]))
    got = join_with_history(irc_prosody, alice, room, {"maxchars": one + 150})
    assert [text for _, text, _ in got] == ["h4"]
    # no <history/>: the transport's default (history_join_default = 20)
    got = join_with_history(irc_prosody, alice, room, None)
    assert [text for _, text, _ in got] == ["h1", "h2", "h3", "h4"]


# -- persistent channels ----------------------------------------------------------

def test_a_persistent_channel_records_while_the_user_is_offline(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    form = alice.client.iq_get(room, f"<query xmlns='{NS_MUC_OWNER}'/>")
    assert form.get("type") == "result"
    assert "muc#roomconfig_persistentroom" in [f.get("var") for f in
                                                form.iter(f"{{{NS_DATA}}}field")]
    reply = configure_persistent(alice, room)
    assert reply.get("type") == "result", reply

    alice.client.disconnect()
    # the server tells the room and the transport; the channel stays joined
    bob.privmsg(channel, "while you were out")
    bob.privmsg(channel, "still out")
    alice.client.connect()
    record_stream(alice.client)
    wait_until(lambda: bodies(mam_query(alice, room, rsm={"max": 10, "before": None})[1])[-2:]
               == ["while you were out", "still out"], 30,
               "the lines said while alice was offline in her archive", alice.logs)
    assert not bob.lines(lambda l: l.command in ("PART", "QUIT") and l.nick == alice.nick), \
        "a persistent channel is not left when its user goes offline"


def test_a_persistent_channel_is_joined_again_after_a_drop_while_its_user_is_offline(
        gateway, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    assert configure_persistent(alice, room).get("type") == "result"
    pid = alice.worker_pid()
    assert pid is not None, f"no worker holds {alice.nick}'s IRC connection"
    alice.client.disconnect()
    bob.mark_seen()

    os.kill(pid, signal.SIGKILL)  # the link drops, as in a netsplit

    bob.wait_for(lambda l: l.is_("QUIT", nick=alice.nick), 60, "alice's connection to drop",
                 (gateway.log_path,))
    bob.wait_for(lambda l: l.is_("JOIN", nick=alice.nick, target=channel), 60,
                 "alice's JOIN after the drop, with nobody online", (gateway.log_path,))
    bob.privmsg(channel, "said after the drop")
    alice.client.connect()
    record_stream(alice.client)
    wait_until(lambda: "said after the drop" in bodies(
        mam_query(alice, room, rsm={"max": 5, "before": None})[1]), 30,
        "the line said after the drop in the archive", alice.logs)


def test_a_persistent_channel_is_joined_again_after_a_restart(
        gateway, irc_checker, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    assert configure_persistent(alice, room).get("type") == "result"
    alice.client.disconnect()

    gateway.stop()
    bob.mark_seen()
    gateway.start(irc_checker)

    # nobody asks: the gateway joins it again on its own
    bob.wait_for(lambda l: l.is_("JOIN", nick=alice.nick), 60, "alice's JOIN after the restart",
                 (gateway.log_path,))
    bob.privmsg(channel, "after the restart")
    alice.client.connect()
    record_stream(alice.client)
    record_stream(alice.client)
    wait_until(lambda: "after the restart" in bodies(
        mam_query(alice, room, rsm={"max": 5, "before": None})[1]), 30,
        "the line said after the restart in the archive", alice.logs)
