"""WEBIRC (IRCv3, https://ircv3.net/specs/extensions/webirc): where the
operator gave an IRC server a [webirc NAME] group, each connection sends
"WEBIRC password gateway host ip" before its registration, so the server
shows a host of the XMPP user's own (a keyed hash of the bare JID under
host_suffix) instead of the gateway's (src/session/pg-ident.h).

ngircd takes WEBIRC with [Options] WebircPassword; with DNS = yes it uses
the host given (with DNS = no, the address).  Its WEBIRC also sets the user
name to the gateway word (CGI:IRC's form of the command).

Here 127.0.0.1 has the right password and "localhost" (the same ngircd,
named by a host name) a wrong one.
"""

import base64
import hashlib
import hmac
import os

import pytest

from harness import util
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, gateway, irc_checker, irc_prosody, join_room, make_irc_client, make_irc_user,
    messages, ngircd_password, statuses, unique, wait_until)
from harness.ngircd import Ngircd

PASSWORD = "webirc-" + util.secret()
WRONG = "wrong-" + util.secret()
SUFFIX = "users.gw.test"


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    server = Ngircd(str(tmp_path_factory.mktemp("ngircd-webirc")))
    # read after the main file: these override its [Options]
    with open(os.path.join(server.include_dir, "webirc.conf"), "w") as f:
        f.write(f"[Options]\n\tWebircPassword = {PASSWORD}\n\tDNS = yes\n")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway_options():
    return {"extra_config": "\n".join([
        "[webirc right]",
        "servers = 127.0.0.1",
        f"password = {PASSWORD}",
        "gateway = polygate",
        f"host_suffix = {SUFFIX}",
        "ip_prefix = fd00:7067:6174::/48",
        "",
        "[webirc wrong]",
        "servers = localhost",
        f"password = {WRONG}",
        f"host_suffix = {SUFFIX}",
        ""])}


def ident_key(gateway):
    with open(os.path.join(gateway.dir, "registry.key.ident")) as f:
        return bytes.fromhex(f.read().strip())


def expected_host(gateway, bare_jid):
    digest = hmac.new(ident_key(gateway), b"host\0" + bare_jid.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:12] + "." + SUFFIX


def whois_user(client, nick):
    replies = client.whois(nick)
    line = next((r for r in replies if r.command == "311"), None)
    assert line is not None, f"no 311 in the WHOIS of {nick}: {replies}"
    return line.params[2], line.params[3]


def test_the_webirc_host_is_the_users_own_and_says_nothing_of_the_jid(
        gateway, make_irc_user, make_irc_client):
    alice = make_irc_user(transports=(IRCNET,))
    alice.wait_on_irc()
    bob = make_irc_client("bob")
    user, host = whois_user(bob, alice.nick)
    bare = alice.jid.split("/")[0]
    assert host == expected_host(gateway, bare), \
        f"{alice.nick}'s host must come from WEBIRC, got {user}@{host}"
    assert bare.split("@")[0] not in host and "localhost" not in host
    # another user: another host (an op bans one user, not the gateway)
    carol = make_irc_user(transports=(IRCNET,))
    carol.wait_on_irc()
    assert whois_user(bob, carol.nick)[1] not in (host,), "two users, one host"
    with open(gateway.log_path, errors="replace") as f:
        assert PASSWORD not in f.read(), "the WEBIRC password is in the gateway's log"


def test_a_wrong_webirc_password_is_refused_without_leaking_it_or_a_crash(
        gateway, make_irc_user, make_irc_client, ngircd):
    """ngircd answers a wrong WEBIRC password with 464 and goes on with the
    registration under the connection's real host; the worker tells the
    operator, and the password shows nowhere."""
    pid = gateway.pid
    bob = make_irc_client("bob")
    channel = "#" + unique("w")
    bob.join(channel)
    alice = make_irc_user(transports=(IRC,))
    room = f"{channel}%localhost@{IRC}"
    join_room(alice.client, room, alice.nick)
    alice.wait_presence(lambda p: (p.get("from") or "").startswith(room + "/")
                        and 110 in statuses(p), 45, f"self-presence of {room}")
    user, host = whois_user(bob, alice.nick)
    assert not host.endswith(SUFFIX), f"a refused WEBIRC gave {alice.nick} the host {host}"
    wait_until(lambda: "refused WEBIRC" in open(gateway.log_path, errors="replace").read(), 30,
               "the worker to report the refused WEBIRC", alice.logs)
    for stanza in messages(alice.client):
        assert WRONG not in str(stanza) and PASSWORD not in str(stanza)
    with open(gateway.log_path, errors="replace") as f:
        log = f.read()
    assert WRONG not in log and PASSWORD not in log, "a WEBIRC password is in the gateway's log"
    assert gateway.pid == pid and gateway.running
