"""WEBIRC for a bridge's IRC connections (issue 11, item 3): the bridge's
own client and each XMPP occupant's own connection (irc_clients =
per-occupant) go through the same login path as users' links
(src/session/pg-ident.h), so each shows a host of its own under the
[webirc] group's host_suffix, never the gateway's, and two occupants two
hosts.  ngircd uses the WEBIRC host with DNS = yes (test_irc_webirc.py)."""

import base64
import hashlib
import hmac
import os

import pytest

from harness import util
from harness.bridge import (  # noqa: F401 (fixtures)
    BridgePolygate, bridge_checker, bridge_configs, bridge_prosody, bridged, make_irc)
from harness.ircgw import WORKER_NAME, transports_for
from harness.ngircd import Ngircd
from harness.polygate import find_binary

PASSWORD = "webirc-" + util.secret()
SUFFIX = "bridges.gw.test"


@pytest.fixture(scope="module")
def bridge_names():
    return ("hosts",)


@pytest.fixture(scope="module")
def bridge_options():
    return {"hosts": {"irc_clients": "per-occupant"}}


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    server = Ngircd(str(tmp_path_factory.mktemp("ngircd-bridge-webirc")))
    with open(os.path.join(server.include_dir, "webirc.conf"), "w") as f:
        f.write(f"[Options]\n\tWebircPassword = {PASSWORD}\n\tDNS = yes\n")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bridge_gateway(tmp_path_factory, bridge_prosody, ngircd, bridge_checker, bridge_configs):
    binary = find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"polygate binary not found ({binary}); set POLYGATE_BIN", pytrace=False)
    worker = os.path.join(os.path.dirname(binary), "..", "backends", "purple", WORKER_NAME)
    daemon = BridgePolygate(
        binary, str(tmp_path_factory.mktemp("polygate-bridge-webirc")), bridge_prosody,
        transports_for(ngircd.port), global_options={"worker": os.path.abspath(worker)},
        bridges=[dict(c, name=n) for n, c in bridge_configs.items()],
        extra_config=f"[webirc test]\nservers = 127.0.0.1\npassword = {PASSWORD}\n"
                     f"host_suffix = {SUFFIX}\n")
    daemon.ngircd = ngircd
    daemon.start(bridge_checker)
    yield daemon
    daemon.stop()


def expected_host(gateway, owner):
    with open(os.path.join(gateway.dir, "registry.key.ident")) as f:
        key = bytes.fromhex(f.read().strip())
    digest = hmac.new(key, b"host\0" + owner.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:12] + "." + SUFFIX


def host_of(client, nick):
    line = next((r for r in client.whois(nick) if r.command == "311"), None)
    assert line is not None, f"no 311 in the WHOIS of {nick}"
    return line.params[3]


def test_the_bridge_and_each_occupants_connection_show_hosts_of_their_own(
        bridged, bridge_gateway):
    b = bridged("hosts")
    b.create_room()
    op = b.chanop("op")
    b.approve(op)
    assert host_of(op, b.nick) == expected_host(bridge_gateway, f"bridge:{b.name}")
    people = [b.occupant(), b.occupant()]
    hosts = []
    for i, person in enumerate(people):
        person.join()
        person.say(f"own line {i}")
        op.wait_for(lambda l: l.is_("JOIN", nick=person.nick), 60,
                    f"{person.nick}'s own connection in the channel", b.logs)
        hosts.append(host_of(op, person.nick))
    for host in hosts:
        assert host.endswith("." + SUFFIX), hosts
    assert len(set(hosts)) == 2, f"two occupants, one host: {hosts}"
    with open(bridge_gateway.log_path, errors="replace") as f:
        assert PASSWORD not in f.read()
