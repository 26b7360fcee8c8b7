"""An IRC server named by a host name: the gateway resolves it, checks
every address against the operator's policy and pins the worker to them
(src/session/pg-irc-gate.h).  Here "localhost" (GLib: 127.0.0.1 and ::1,
both allowed by the harness's irc_allow) must reach ngircd on 127.0.0.1,
whose port the transport uses, through the pinned addresses."""

from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, gateway, gateway_options, irc_checker, irc_prosody, join_room, make_irc_client,
    make_irc_user, ngircd, ngircd_password, statuses, unique)


def test_a_room_on_a_server_named_by_a_host_name_is_joined(gateway, make_irc_user,
                                                           make_irc_client):
    pid = gateway.pid
    bob = make_irc_client("bob")
    channel = "#" + unique("n")
    bob.join(channel)
    alice = make_irc_user(transports=(IRC,))
    room = f"{channel}%localhost@{IRC}"
    join_room(alice.client, room, alice.nick)
    alice.wait_presence(lambda p: (p.get("from") or "").startswith(room + "/")
                        and 110 in statuses(p), 45, f"self-presence of {room}")
    bob.wait_for(lambda line: line.is_("JOIN", nick=alice.nick), 30, f"{alice.nick} to JOIN",
                 alice.logs)
    assert gateway.pid == pid and gateway.running
