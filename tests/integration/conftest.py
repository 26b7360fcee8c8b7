"""Fixtures for Polygate's integration tests.

One real Prosody per test module (started from a generated config on free
127.0.0.1 ports), the daemon under test started once per module as well, and
per-test XMPP users so tests never see each other's roster or registrations.

Run: POLYGATE_BIN=build-test/src/polygate /usr/bin/python3 -m pytest tests/integration
"""

import itertools
import os

import pytest

from harness import util
from harness.client import XmppClient
from harness.polygate import Polygate, find_binary
from harness.prosody import DOMAIN, EVIL_DOMAIN, Prosody


@pytest.fixture(scope="session")
def polygate_binary():
    binary = find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"polygate binary not found or not executable ({binary}); "
                    "set POLYGATE_BIN to the built daemon", pytrace=False)
    return binary


@pytest.fixture(scope="session")
def cert_dir(tmp_path_factory):
    """One self-signed certificate for localhost and *.localhost per run."""
    directory = tmp_path_factory.mktemp("certs")
    util.selfsigned_cert(str(directory), DOMAIN)
    return str(directory)


@pytest.fixture(scope="module")
def prosody(tmp_path_factory, cert_dir):
    server = Prosody(str(tmp_path_factory.mktemp("prosody")), cert_dir)
    for name in ("alice", "bob", "harness"):
        server.create_user(name)
    server.create_user("mallory", EVIL_DOMAIN)
    server.start()
    yield server
    server.stop()


def _connect(prosody, jid):
    return XmppClient(jid, prosody.passwords[jid], port=prosody.c2s_port).connect()


@pytest.fixture(scope="module")
def checker(prosody):
    """A harness account used only to probe readiness (disco#info)."""
    client = _connect(prosody, f"harness@{DOMAIN}")
    yield client
    client.disconnect()


@pytest.fixture(scope="module")
def polygate(tmp_path_factory, prosody, checker, polygate_binary):
    """The daemon with the irc, sms and purple transports, shared by a module."""
    daemon = Polygate(polygate_binary, str(tmp_path_factory.mktemp("polygate")), prosody)
    try:
        daemon.start(checker)
    except BaseException:
        try:
            daemon.stop()
        except util.HarnessError:
            pass
        raise
    yield daemon
    daemon.stop()


@pytest.fixture
def polygate_factory(tmp_path, prosody, checker, polygate_binary):
    """For tests that stop and restart the daemon themselves: make(**kw) ->
    Polygate (not started).  Every instance is stopped and checked at teardown.
    Do not mix with the module-scoped `polygate` fixture in one module: Prosody
    accepts one connection per component."""
    made = []

    def make(name="polygate", **kwargs):
        daemon = Polygate(polygate_binary, str(tmp_path / name), prosody, **kwargs)
        made.append(daemon)
        return daemon

    yield make
    errors = []
    for daemon in made:
        try:
            daemon.stop()
        except util.HarnessError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


# -- the order modules run in -------------------------------------------------------
# pytest-xdist (--dist loadfile, contrib/scripts/test.sh) hands the modules
# out in collection order, each to the first free worker: the longest first
# (module-seconds.txt: seconds per module in a full run, from test.sh) keeps
# a long module from starting last and running alone at the end.  A module
# not listed counts as 30 s.  Within a module the file's order stays.
def _module_seconds():
    seconds = {}
    path = os.path.join(os.path.dirname(__file__), "module-seconds.txt")
    try:
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) == 2 and not line.startswith("#"):
                    seconds[fields[1]] = float(fields[0])
    except OSError:
        pass
    return seconds


def pytest_collection_modifyitems(session, config, items):
    seconds = _module_seconds()
    first = {}
    for index, item in enumerate(items):
        first.setdefault(item.nodeid.split("::")[0], index)

    def key(item):
        path = item.nodeid.split("::")[0]
        module = os.path.splitext(os.path.basename(path))[0]
        return (-seconds.get(module, 30.0), first[path])

    items.sort(key=key)


_user_numbers = itertools.count(1)


@pytest.fixture
def make_user(prosody):
    """make_user(domain='localhost') -> a connected client for a brand-new
    account, so the test starts with an empty roster and no registration."""
    clients = []

    def make(domain=DOMAIN, prefix="user"):
        localpart = f"{prefix}{os.getpid()}x{next(_user_numbers)}"
        jid = prosody.create_user(localpart, domain)
        client = _connect(prosody, jid)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.disconnect()


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def other_user(make_user):
    return make_user()


@pytest.fixture
def alice(prosody):
    client = _connect(prosody, f"alice@{DOMAIN}")
    yield client
    client.disconnect()


@pytest.fixture
def mallory(prosody):
    """A user of a domain the transports do not serve."""
    client = _connect(prosody, f"mallory@{EVIL_DOMAIN}")
    yield client
    client.disconnect()
