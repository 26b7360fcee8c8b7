"""Login storms are smoothed: with max_concurrent_logins = 2, six users
coming online at once never have more than two legacy logins under way.

The IRC network is the real ngircd behind a gate: a TCP relay of our own in
front of it that passes what the workers send at once, but holds what the
server sends (its 001 welcome first of all) until the test opens that
connection's gate.  A login is under way from the moment the daemon hands
it to a worker until the worker reports it connected; with every gate shut,
the logins the daemon let go show up as connections at the gate, and no
other can appear until the test lets one of them finish.  The daemon's own
count is read from /metrics (polygate_logins{state=...}).
"""

import re
import socket
import threading
import urllib.request

import pytest

from harness import util
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRCNET, gateway, irc_checker, irc_prosody, make_irc_user, send_presence)
from harness.ngircd import Ngircd

MAX_LOGINS = 2
USERS = 6


class GatedRelay:
    """127.0.0.1:port -> ngircd.  Client bytes go through at once; server
    bytes wait until the connection's gate opens (open_one, open_all)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._cond = threading.Condition()
        self._gates = []          # one threading.Event per accepted connection
        self._open_all = False
        self.max_waiting = 0      # most connections with a shut gate at once
        self._sockets = []
        threading.Thread(target=self._accept_loop, name="gate-accept", daemon=True).start()

    # -- what the test sees ---------------------------------------------------
    @property
    def connections(self):
        with self._cond:
            return len(self._gates)

    @property
    def waiting(self):
        with self._cond:
            return sum(1 for gate in self._gates if not gate.is_set())

    def open_one(self):
        """Open the gate of the oldest connection still waiting."""
        with self._cond:
            for gate in self._gates:
                if not gate.is_set():
                    gate.set()
                    return
        raise AssertionError("no connection is waiting at the gate")

    def open_all(self):
        with self._cond:
            self._open_all = True
            for gate in self._gates:
                gate.set()

    def close(self):
        self.open_all()
        self._listener.close()
        for sock in list(self._sockets):
            try:
                sock.close()
            except OSError:
                pass

    # -- relaying ---------------------------------------------------------------
    def _accept_loop(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            gate = threading.Event()
            with self._cond:
                self._sockets += [client, server]
                if self._open_all:
                    gate.set()
                self._gates.append(gate)
                self.max_waiting = max(self.max_waiting,
                                       sum(1 for g in self._gates if not g.is_set()))
                self._cond.notify_all()
            threading.Thread(target=self._pump, args=(client, server, None),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, gate),
                             daemon=True).start()

    @staticmethod
    def _pump(source, sink, gate):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if gate is not None:
                    gate.wait()
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class GatedNgircd:
    """What the gateway fixture needs of `ngircd` (port, logs), with the
    port of the gate in front of a real ngircd."""

    def __init__(self, real, relay):
        self.real = real
        self.relay = relay
        self.port = relay.port

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture(scope="module")
def gateway_options():
    return {"global": {"max_concurrent_logins": MAX_LOGINS}}


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    real = Ngircd(str(tmp_path_factory.mktemp("ngircd")))
    real.start()
    relay = GatedRelay(real.port)
    yield GatedNgircd(real, relay)
    relay.close()
    real.stop()


def logins(gateway):
    """The daemon's (in_flight, queued) login counts, from /metrics."""
    url = f"http://127.0.0.1:{gateway.http_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as reply:
        text = reply.read().decode()
    counts = dict(re.findall(r'^polygate_logins\{state="(\w+)"\} (\d+)$', text, re.M))
    return int(counts["in_flight"]), int(counts["queued"])


def test_six_users_online_at_once_log_in_two_at_a_time(gateway, ngircd, make_irc_user):
    relay = ngircd.relay
    users = [make_irc_user(transports=(IRCNET,), online=False) for _ in range(USERS)]
    for user in users:
        send_presence(user.client, IRCNET)

    # every presence reached the daemon: two logins went to workers, the
    # rest wait; and exactly those two are at the gate
    util.wait_for(lambda: sum(logins(gateway)) == USERS, 30,
                  "the daemon to take all six logins", gateway.log_path)
    assert logins(gateway) == (MAX_LOGINS, USERS - MAX_LOGINS), "(in flight, queued)"
    util.wait_for(lambda: relay.connections == MAX_LOGINS, 30,
                  "the two logins in flight to reach the IRC server", gateway.log_path)
    assert logins(gateway) == (MAX_LOGINS, USERS - MAX_LOGINS)

    # one login finishes -> one more starts, no more
    relay.open_one()
    util.wait_for(lambda: logins(gateway) == (MAX_LOGINS, USERS - MAX_LOGINS - 1), 30,
                  "a finished login to let the next one start", gateway.log_path)
    util.wait_for(lambda: relay.connections == MAX_LOGINS + 1, 30,
                  "the next login to reach the IRC server", gateway.log_path)
    assert relay.waiting == MAX_LOGINS

    # the rest go through, and everyone ends up on IRC
    relay.open_all()
    for user in users:
        user.wait_on_irc(timeout=60)
    util.wait_for(lambda: logins(gateway) == (0, 0), 30,
                  "the login queue to drain", gateway.log_path)
    assert relay.connections == USERS
    assert relay.max_waiting == MAX_LOGINS, \
        f"{relay.max_waiting} logins were under way at once (limit {MAX_LOGINS})"
