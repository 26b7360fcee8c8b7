"""Nothing a user writes to a room is lost silently while the worker dies
(issue 8, item 7): numbered lines go from an XMPP user to an IRC channel
while the user's polygate-purple is SIGKILLed.  The daemon restarts the
worker, logs in, rejoins, and sends the lines written meanwhile; a line
that was handed to the dead worker and may not have reached IRC gets a
stanza error with its id (pg-link-queue.h says why some of those did
arrive).  Counted on both sides: every line is delivered to IRC or
answered with an error (delivered + errored covers all that was sent),
none arrives twice.

Every wait has a deadline; nothing waits on a sleep.
"""

import os
import signal

from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, gateway, gateway_options, in_a_room, irc_checker, irc_prosody, make_irc_client,
    make_irc_user, messages, ngircd, ngircd_password, notice_from, send_message, wait_until)

LINES = 40
KILL_AFTER = 15
DEADLINE = 120


def test_numbered_lines_during_a_worker_kill_are_delivered_or_answered_never_lost(
        gateway, make_irc_user, make_irc_client):
    alice, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    pid = alice.worker_pid()
    assert pid is not None, "no worker holds alice's connection"
    texts = {f"line {i:03d} of {LINES}": None for i in range(1, LINES + 1)}
    order = list(texts)
    ids = {}

    def send(lines):
        for text in lines:
            ids[send_message(alice.client, room, text, mtype="groupchat")] = text

    # 1..15 reach IRC; 16..25 go out as the worker dies; 26..40 are written
    # while it is gone (the user has been told)
    send(order[:KILL_AFTER])
    bob.wait_for(lambda l: l.command == "PRIVMSG" and l.text == order[KILL_AFTER - 1], 30,
                 "the lines before the kill", alice.logs)
    send(order[KILL_AFTER:KILL_AFTER + 10])
    os.kill(pid, signal.SIGKILL)
    alice.wait_message(notice_from(IRC, room), 30, "a notice that the connection was lost")
    send(order[KILL_AFTER + 10:])

    def delivered():
        return [l.text for l in bob.lines(lambda l: l.command == "PRIVMSG"
                                          and l.target == channel and l.text in texts)]

    def errored():
        return {ids[m.get("id")] for m in messages(alice.client, lambda m: m.get("type") == "error"
                                                    and m.get("id") in ids)}

    def reflections():
        return [(m.findtext("{jabber:client}body"), m.get("id"))
                for m in messages(alice.client, lambda m: m.get("type") == "groupchat"
                                  and m.get("from") == f"{room}/{alice.nick}"
                                  and m.findtext("{jabber:client}body") in texts)]

    def accounted():
        return set(delivered()) | errored() >= set(texts)

    wait_until(accounted, DEADLINE, "every line delivered to IRC or answered with an error",
               alice.logs)
    got = delivered()
    lost = set(texts) - set(got) - errored()
    duplicated = {t for t in got if got.count(t) > 1}
    print(f"sent {LINES}, delivered {len(set(got))}, errored {len(errored())}, "
          f"both {len(set(got) & errored())}, duplicated {len(duplicated)}, lost {len(lost)}")
    assert not lost
    assert not duplicated, duplicated
    # delivered in the order written, and what was written while the
    # worker was gone (told by the notice) arrived after the rejoin
    assert got == sorted(got), got
    assert set(order[KILL_AFTER + 10:]) <= set(got), set(order[KILL_AFTER + 10:]) - set(got)
    # each reflection carries the id of its own message (XEP-0045 §7.2.16):
    # a line that failed before its echo left no id behind for the next one
    by_text = {text: msg_id for msg_id, text in ids.items()}
    wait_until(lambda: len(reflections()) >= len(set(got)), 30, "the reflections",
               alice.logs)
    wrong = [(t, i) for t, i in reflections() if by_text[t] != i]
    assert not wrong, wrong
