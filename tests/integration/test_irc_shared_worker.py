"""users_per_worker = 4: several users' IRC accounts share one
polygate-purple (one libpurple) process.  Two users of that worker in one
channel must still see each other's lines exactly once, and each its own
reflection once: one process now sees both sends and both receipts."""

import pytest

from harness.ircgw import (  # noqa: F401 (fixtures)
    gateway, groupchat_from, in_a_room, irc_checker, irc_prosody, make_irc_client,
    make_irc_user, messages, ngircd, ngircd_password, occupant_presence, sync)


@pytest.fixture(scope="module")
def gateway_options():
    return {"global": {"users_per_worker": 4}}


def test_two_users_of_one_worker_in_one_channel_see_each_line_once(
        make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    carol = make_irc_user()
    carol.join(channel)
    bob.wait_for(lambda l: l.is_("JOIN", nick=carol.nick), 20, "carol's JOIN")
    assert alice.worker_pid() is not None
    assert alice.worker_pid() == carol.worker_pid(), "the two users should share a worker"
    alice.wait_presence(occupant_presence(f"{room}/{carol.nick}", "available"), 30,
                        "carol's arrival, seen by alice")

    alice.send(room, "from alice", mtype="groupchat")
    carol.send(room, "from carol", mtype="groupchat")
    carol.wait_message(groupchat_from(f"{room}/{alice.nick}", "from alice"), 30,
                       "alice's line at carol")
    alice.wait_message(groupchat_from(f"{room}/{carol.nick}", "from carol"), 30,
                       "carol's line at alice")
    sync(alice, bob, channel, room)
    sync(carol, bob, channel, room)
    for user in (alice, carol):
        for sender, text in ((alice, "from alice"), (carol, "from carol")):
            got = messages(user.client, groupchat_from(f"{room}/{sender.nick}", text))
            assert len(got) == 1, f"{user.nick} got {text!r} {len(got)} times"
    for text in ("from alice", "from carol"):
        assert len(bob.lines(lambda l: l.is_("PRIVMSG", text=text))) == 1
