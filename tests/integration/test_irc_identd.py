"""The gateway's identd (RFC 1413, [polygate] identd_listen): ngircd, built
with IDENT support and Ident = yes, asks port 113 of each client's address
who owns the connection; for a user's IRC connection the gateway answers a
stable name of the user's own (a keyed hash of the bare JID), which
ngircd then shows without the "~" of an unverified user name.  Anything
else on port 113 (a port pair it does not own, another asker, garbage, a
long line, a client that never speaks, a crowd) gets an error or is cut
off, and never stops the answers to others (src/session/pg-identd.h).

This module binds 127.0.0.1:113 (the tests run as root): a lock file keeps
two runs of it (two checkouts on one machine) from running at once, and no
other module binds that port.
"""

import base64
import fcntl
import hashlib
import hmac
import os
import socket
import time

import pytest

from harness import util
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, SERVER, gateway, irc_checker, irc_client_port, irc_prosody, make_irc_client,
    make_irc_user, ngircd_password, unique)
from harness.ngircd import Ngircd
from test_irc_server_tls import configured

IDENTD = ("127.0.0.1", 113)
LOCK = "/tmp/polygate-test-identd-113.lock"
LIMIT = 64        # PG_IDENTD_MAX_CLIENTS
TIMEOUT_S = 10    # PG_IDENTD_TIMEOUT_S
CLAIM_WAIT_S = 3  # PG_IDENTD_CLAIM_WAIT_MS: an unclaimed pair waits for a claim


@pytest.fixture(scope="module")
def port_113():
    with open(LOCK, "w") as lock:
        deadline = time.monotonic() + 900
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{LOCK} held for 15 minutes by another run", pytrace=False)
                time.sleep(1)
        yield
        fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory, port_113):
    server = Ngircd(str(tmp_path_factory.mktemp("ngircd-ident")), tls=True)
    # read after the main file: this overrides its Ident = no (ngircd asks
    # identd only along with its DNS lookup, hence DNS = yes)
    with open(os.path.join(server.include_dir, "ident.conf"), "w") as f:
        f.write("[Options]\n\tIdent = yes\n\tDNS = yes\n")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway_options(port_113):
    # users may pick ngircd's (high) TLS port in a server's configure form
    # users share workers: each connection must still be told apart
    return {"global": {"identd_listen": "%s:%d" % IDENTD, "users_per_worker": 10},
            "irc_user_ports": "6665-6669; 1024-65535"}


def ident_name(gateway, bare_jid):
    with open(os.path.join(gateway.dir, "registry.key.ident")) as f:
        key = bytes.fromhex(f.read().strip())
    digest = hmac.new(key, b"ident\0" + bare_jid.encode(), hashlib.sha256).digest()
    return "x" + base64.b32encode(digest).decode().lower()[:9]


def query(data, source="127.0.0.1", timeout=5):
    """Send data to the identd; everything it answers until it closes."""
    with socket.create_connection(IDENTD, timeout=timeout,
                                  source_address=(source, 0)) as sock:
        sock.sendall(data)
        return read_all(sock, timeout + CLAIM_WAIT_S)


def read_all(sock, timeout):
    sock.settimeout(timeout)
    chunks = []
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def test_a_users_connection_carries_the_ident_from_our_identd(
        gateway, make_irc_user, make_irc_client, ngircd):
    alice = make_irc_user(transports=(IRCNET,))
    alice.wait_on_irc()
    bob = make_irc_client("bob")
    replies = bob.whois(alice.nick)
    line = next((r for r in replies if r.command == "311"), None)
    assert line is not None, f"no 311 in the WHOIS of {alice.nick}: {replies}"
    expected = ident_name(gateway, alice.jid.split("/")[0])
    assert line.params[2] == expected, \
        f"{alice.nick} is {line.params[2]}@{line.params[3]}, not {expected} from our identd"
    # bob's own connection is not ours: NO-USER, so ngircd marks it unverified
    own = next(r for r in bob.whois(bob.nick) if r.command == "311")
    assert own.params[2].startswith("~"), own.params


def test_users_connecting_at_once_through_one_worker_each_get_their_own_ident(
        gateway, make_irc_user, make_irc_client):
    users = [make_irc_user(transports=(IRCNET,), online=False) for _ in range(3)]
    for user in users:
        user.go_online(IRCNET)
    for user in users:
        user.wait_on_irc()
    assert len({u.worker_pid() for u in users}) == 1, "the users are not on one worker"
    bob = make_irc_client("bob")
    for user in users:
        line = next(r for r in bob.whois(user.nick) if r.command == "311")
        assert line.params[2] == ident_name(gateway, user.jid.split("/")[0]), \
            (user.nick, line.params)


def test_a_tls_connection_carries_the_ident_too(gateway, make_irc_user, make_irc_client,
                                                ngircd):
    """Over TLS the registration goes out from ssl-nss's handshake callback,
    on the connection's own fd: the worker reports that one."""
    alice = make_irc_user(online=False)
    configured(alice.client, f"{SERVER}@{IRC}", {"tls": "true", "port": ngircd.tls_port,
                                                 "fingerprint": ngircd.cert_sha256})
    before = ngircd.tls_connections()
    alice.go_online(IRC)
    bob = make_irc_client("bob")
    channel = "#" + unique("tls")
    bob.join(channel)
    alice.join(channel)
    bob.wait_for(lambda l: l.is_("JOIN", nick=alice.nick), 30, f"{alice.nick} to JOIN",
                 alice.logs)
    assert ngircd.tls_connections() > before, ngircd.tail()
    line = next(r for r in bob.whois(alice.nick) if r.command == "311")
    assert line.params[2] == ident_name(gateway, alice.jid.split("/")[0]), line.params


def test_the_identd_answers_no_user_for_a_port_pair_it_does_not_own(gateway):
    assert query(b"1234, 6667\r\n") == b"1234 , 6667 : ERROR : NO-USER\r\n"


def test_only_the_peer_of_a_connection_learns_who_owns_it(gateway, make_irc_user, ngircd):
    alice = make_irc_user(transports=(IRCNET,))
    alice.wait_on_irc()
    port = irc_client_port(ngircd.log(), alice.nick)
    assert port is not None
    ask = f"{port}, {ngircd.port}\r\n".encode()
    name = ident_name(gateway, alice.jid.split("/")[0])
    assert query(ask) == f"{port} , {ngircd.port} : USERID : UNIX : {name}\r\n".encode()
    # RFC 1413 §3: another address is not the connection's peer
    assert query(ask, source="127.0.0.2") == \
        f"{port} , {ngircd.port} : ERROR : NO-USER\r\n".encode()


@pytest.mark.parametrize("data", [b"hello\r\n", b"\x00\xff\xfe, 1\n", b"1,2,3\n",
                                  b"0, 0\r\n", b"70000, 1\r\n"])
def test_garbage_gets_an_error_and_the_connection_closed(gateway, data):
    assert query(data) == b"0 , 0 : ERROR : INVALID-PORT\r\n"


def test_a_line_too_long_is_cut_off(gateway):
    started = time.monotonic()
    try:
        answer = query(b"1" * 4096)
    except ConnectionResetError:
        answer = None  # closed with our bytes unread: the kernel resets
    assert answer in (None, b"0 , 0 : ERROR : INVALID-PORT\r\n")
    assert time.monotonic() - started < 5
    assert query(b"1234, 6667\r\n") == b"1234 , 6667 : ERROR : NO-USER\r\n"


def test_a_silent_client_is_dropped_and_does_not_hold_up_others(gateway):
    with socket.create_connection(IDENTD, timeout=5) as silent:
        started = time.monotonic()
        assert query(b"1234, 6667\r\n") == b"1234 , 6667 : ERROR : NO-USER\r\n"
        assert time.monotonic() - started < CLAIM_WAIT_S + 2
        assert read_all(silent, TIMEOUT_S + 10) == b""
        waited = time.monotonic() - started
        assert TIMEOUT_S - 1 <= waited <= TIMEOUT_S + 5, f"dropped after {waited:.1f} s"
    assert gateway.running


def turned_away():
    """One more connection: TRUE if the identd closed it at once."""
    with socket.create_connection(IDENTD, timeout=5) as extra:
        try:
            return read_all(extra, 1) == b""
        except socket.timeout:
            return False


def test_a_crowd_past_the_limit_is_turned_away_and_the_identd_recovers(gateway):
    crowd = [socket.create_connection(IDENTD, timeout=5) for _ in range(LIMIT)]
    try:
        # the daemon accepts from its main loop: the crowd may still be
        # coming in when the first extra arrives (which then waits its turn)
        util.wait_for(turned_away, 15, "a connection past the limit to be closed at once")
    finally:
        for sock in crowd:
            sock.close()
    util.wait_for(lambda: query(b"1234, 6667\r\n") == b"1234 , 6667 : ERROR : NO-USER\r\n",
                  10, "the identd to answer again")
    assert gateway.running
