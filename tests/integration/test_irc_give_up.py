"""A legacy connection that never comes up gives up and says so (issue 8,
item 4): the user joins a channel on an IRC server whose port refuses
connections; after link_give_up_after (default 3) failed tries the
join gets an error presence from room/nick (XEP-0045 §7.2, RFC 6120
§8.3.3.16/17), a message that waited for the same server gets an error,
and no further connection is tried.

The "server" is a loopback port that refuses connections; the tries are
counted in the daemon's log (one "logging in" each).  Every wait has a
deadline; the "no more tries" check watches a bounded window longer than
the backoff would have been.
"""

import os
import socket

import pytest

from harness import util
from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, SERVER, IrcPolygate, find_binary, happens_within, irc_checker, irc_prosody,
    join_room, make_irc_user, ptype, record_stream, room_jid, send_message, transports_for,
    unique)

DEFAULT_GIVE_UP_AFTER = 3
GIVE_UP_DEADLINE = 90
NO_RETRY_WINDOW = 20  # longer than the next backoff (8 s, then 16 s) would be


def closed_port():
    """A loopback port that refuses connections: bound once, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoIrcServer:
    """What IrcUser.logs reads from gateway.ngircd: there is no ngircd here."""

    def __init__(self, log_path):
        self.log_path = log_path


@pytest.fixture(scope="module")
def refused_port():
    return closed_port()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, irc_prosody, irc_checker, refused_port):
    binary = find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"polygate binary not found ({binary}); set POLYGATE_BIN", pytrace=False)
    daemon = IrcPolygate(binary, str(tmp_path_factory.mktemp("polygate-giveup")), irc_prosody,
                         transports_for(refused_port))
    daemon.ngircd = _NoIrcServer(daemon.log_path)
    try:
        daemon.start(irc_checker)
    except BaseException:
        try:
            daemon.stop()
        except util.HarnessError:
            pass
        raise
    yield daemon
    daemon.stop()


def test_a_join_to_a_server_that_never_connects_gets_an_error_presence_and_no_more_tries(
        gateway, make_irc_user):
    user = make_irc_user(online=False)
    channel = "#" + unique("g")
    room = room_jid(channel)
    logins = f"{user.jid}/{IRC}/{SERVER}: logging in"

    def tries():
        return gateway.output().count(logins)

    join_room(user.client, room, user.nick)
    # a private message to someone on the same server waits for it too
    msg_id = send_message(user.client, f"someone%{SERVER}@{IRC}", "are you there?")

    error = user.wait_presence(
        lambda p: p.get("from") == f"{room}/{user.nick}" and ptype(p) == "error",
        GIVE_UP_DEADLINE, "an error presence for the join")
    assert error_condition(error)[1] in ("remote-server-not-found", "remote-server-timeout"), \
        to_string(error)
    message_error = user.wait_message(
        lambda m: m.get("type") == "error" and m.get("id") == msg_id, 30,
        "an error for the message that waited")
    assert error_condition(message_error)[1] in ("remote-server-not-found",
                                                 "remote-server-timeout"), \
        to_string(message_error)
    assert tries() == DEFAULT_GIVE_UP_AFTER, f"{tries()} login(s) before giving up"

    # and no more: nothing reconnects by itself
    assert not happens_within(lambda: tries() > DEFAULT_GIVE_UP_AFTER, NO_RETRY_WINDOW), \
        f"{tries()} logins after giving up"
    assert gateway.running
