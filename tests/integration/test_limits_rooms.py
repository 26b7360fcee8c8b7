"""Per-user limits, rooms and queued bytes (issue 8, item 4), against the
real ngircd: past max_rooms_per_user a join gets an error presence from the
room it named, past max_queued_bytes_per_user a message that would wait for
the legacy connection gets an error message; both name the limit and its
value, /metrics counts them, and nothing else is disturbed.

The queue is filled on a loopback address where nothing listens
(127.1.0.1; the harness allows 127.0.0.0/8), so the link stays down and
what the user sends waits for it.
"""

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, gateway, irc_checker, irc_prosody, join_room, leave_room, make_irc_user, ngircd,
    ngircd_password, occupant_presence, room_jid, send_message, unique, wait_message,
    wait_presence)
from harness.metrics import error_text, metric, metrics

MAX_ROOMS = 2
MAX_QUEUED_BYTES = 2000
NS_PING = "urn:xmpp:ping"
BODY = "q" * 400  # each waits as some 550 bytes (body, account, room, field names)


@pytest.fixture(scope="module")
def gateway_options():
    return {"max_rooms_per_user": MAX_ROOMS, "max_queued_bytes_per_user": MAX_QUEUED_BYTES}


def fence(client):
    """A ping answered: the daemon handled all the client sent before."""
    reply = client.iq_get(IRC, f"<ping xmlns='{NS_PING}'/>", timeout=60)
    assert reply.get("type") == "result", to_string(reply)


def is_error_from(jid):
    return lambda p: p.get("type") == "error" and (p.get("from") or "").startswith(jid + "/")


def test_a_join_past_max_rooms_per_user_gets_an_error_presence_until_one_is_left(
        gateway, make_irc_user):
    user = make_irc_user()
    pid = gateway.pid
    first = user.join("#" + unique("r"))
    user.join("#" + unique("r"))

    third = room_jid("#" + unique("r"))
    join_room(user.client, third, user.nick)
    refused = user.wait_presence(is_error_from(third), 30, "the error presence of the join")
    assert refused.get("from") == f"{third}/{user.nick}", to_string(refused)
    assert error_condition(refused) == ("cancel", "policy-violation"), to_string(refused)
    assert f"max_rooms_per_user = {MAX_ROOMS}" in error_text(refused), to_string(refused)

    # leaving one makes room for it
    leave_room(user.client, first, user.nick)
    user.wait_presence(occupant_presence(f"{first}/{user.nick}", "unavailable", (110,)), 30,
                       "the self-presence of the leave")
    join_room(user.client, third, user.nick)
    user.wait_presence(occupant_presence(f"{third}/{user.nick}", codes=(110,)), 45,
                       "the self-presence of the join")

    text = metrics(gateway)
    assert metric(text, "polygate_limit_rejections_total", transport=IRC,
                  limit="rooms") == 1, text
    assert metric(text, "polygate_limit_per_user", transport=IRC,
                  limit="rooms") == MAX_ROOMS, text
    assert gateway.running and gateway.pid == pid


def test_messages_past_max_queued_bytes_per_user_get_an_error_and_are_not_kept(
        gateway, make_irc_user):
    user = make_irc_user()
    room = f"#{unique('q')}%127.1.0.1@{IRC}"
    join_room(user.client, room, user.nick)
    ids = [send_message(user.client, room, f"{i} {BODY}", mtype="groupchat")
           for i in range(6)]
    fence(user.client)

    # three wait (some 1,650 bytes), the fourth would pass 2,000
    for msg_id in ids[3:]:
        reply = wait_message(user.client, lambda m, i=msg_id: m.get("id") == i
                             and m.get("type") == "error", 30, f"the error for {msg_id}",
                             (gateway.log_path,))
        assert error_condition(reply) == ("wait", "resource-constraint"), to_string(reply)
        assert f"max_queued_bytes_per_user = {MAX_QUEUED_BYTES}" in error_text(reply), \
            to_string(reply)
    answered = [m for _, m in user.client.all_messages
                if m.get("id") in ids[:3] and m.get("type") == "error"
                and error_condition(m)[1] == "resource-constraint"]
    assert answered == [], [to_string(m) for m in answered]
    text = metrics(gateway)
    assert metric(text, "polygate_limit_rejections_total", transport=IRC,
                  limit="queued_bytes") == 3, text
