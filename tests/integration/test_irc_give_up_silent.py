"""A legacy connection whose server never answers gives up too (issue 8,
item 4): the IRC "server" accepts each connection and says nothing, so a
login would wait for ever.  With link_login_timeout = 3 each try ends
after 3 s as a failed one; after link_give_up_after (3) tries the join
gets an error presence from room/nick (remote-server-timeout, RFC 6120
§8.3.3.17) and no further connection is made.

The server counts the connections it accepted: the tries are counted where
they arrive.  Every wait has a deadline; the "no more tries" check watches
a bounded window longer than the backoff would have been.
"""

import os
import socket
import threading

import pytest

from harness import util
from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IrcPolygate, find_binary, happens_within, irc_checker, irc_prosody, join_room,
    make_irc_user, ptype, room_jid, transports_for, unique)

GIVE_UP_AFTER = 3
LOGIN_TIMEOUT = 3
GIVE_UP_DEADLINE = 90
NO_RETRY_WINDOW = 20


class SilentServer:
    """Listens on 127.0.0.1, accepts every connection, never writes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self._lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.conns.append(conn)

    def count(self):
        with self._lock:
            return len(self.conns)

    def close(self):
        self.sock.close()
        with self._lock:
            for conn in self.conns:
                conn.close()


class _NoIrcServer:
    """What IrcUser.logs reads from gateway.ngircd: there is no ngircd here."""

    def __init__(self, log_path):
        self.log_path = log_path


@pytest.fixture(scope="module")
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, irc_prosody, irc_checker, silent_server):
    binary = find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"polygate binary not found ({binary}); set POLYGATE_BIN", pytrace=False)
    daemon = IrcPolygate(binary, str(tmp_path_factory.mktemp("polygate-silent")), irc_prosody,
                         transports_for(silent_server.port, link_login_timeout=LOGIN_TIMEOUT,
                                        link_give_up_after=GIVE_UP_AFTER))
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


def test_a_join_to_a_server_that_never_answers_times_out_and_gives_up(
        gateway, silent_server, make_irc_user):
    user = make_irc_user(online=False)
    room = room_jid("#" + unique("s"))
    before = silent_server.count()

    join_room(user.client, room, user.nick)
    error = user.wait_presence(
        lambda p: p.get("from") == f"{room}/{user.nick}" and ptype(p) == "error",
        GIVE_UP_DEADLINE, "an error presence for the join")
    assert error_condition(error)[1] == "remote-server-timeout", to_string(error)
    tries = silent_server.count() - before
    assert tries == GIVE_UP_AFTER, f"{tries} connection(s) before giving up"
    assert not happens_within(lambda: silent_server.count() - before > tries, NO_RETRY_WINDOW), \
        f"{silent_server.count() - before} connections after giving up"
    assert gateway.running
