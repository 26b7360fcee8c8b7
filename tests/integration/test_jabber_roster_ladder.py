"""The roster ladder's top rung: XEP-0356 privileged roster pushes (issue 9, item 5).

Prosody loads mod_privilege from Debian's prosody-modules and grants the
transport (and a second component standing for an admin tool) roster
access "both" on localhost.  prpl-jabber logs in to legacy.localhost as an
account whose roster holds `pal`, named "Pal" in the group "Friends".  The
user on localhost never gets a subscription request: pal's contact appears
in the user's roster, named and grouped, with subscription both.  The
user's ad-hoc command says "privileged"; after the admin tool drops the
item behind the user's back (a privileged roster remove sends no
presence), a re-sync from the command brings it back; when the user
removes the contact, the legacy buddy goes too.  A user who forges the
server's <privilege/> message gets forbidden.

Run: POLYGATE_BIN=build-test/src/polygate /usr/bin/python3 -m pytest \
     tests/integration/test_jabber_roster_ladder.py
"""

import hashlib
import os
import re
import socket
import time

import pytest

from harness import util
from harness.client import XmppClient, to_string
from harness.jabber import (  # noqa: F401 (a fixture)
    CHECKER, GATEWAY, LEGACY, NS_COMMANDS, NS_ROSTER, contact, forge_privilege, gateway_prosody,
    no_leak_check_for_prpl_jabber, register_and_log_in, roster_command, serving,
    set_roster_item)

ADMIN_TOOL = "rostertool.localhost"


class RosterTool:
    """A bare XEP-0114 component with XEP-0356 roster rights, speaking raw
    XML over a socket: what an operator's tool would do to a roster."""

    def __init__(self, server, jid, timeout=20):
        self.jid = jid
        self.timeout = timeout
        self.buffer = ""
        self.sock = socket.create_connection(("127.0.0.1", server.component_port),
                                             timeout=timeout)
        self.sock.sendall((f"<stream:stream xmlns='jabber:component:accept' "
                           f"xmlns:stream='http://etherx.jabber.org/streams' to='{jid}'>")
                          .encode())
        header = self._read_until(r"<stream:stream[^>]*>")
        stream_id = re.search(r"\sid=['\"]([^'\"]+)['\"]", header).group(1)
        # XEP-0114 §3: the handshake is SHA-1(stream id + secret) in hex
        digest = hashlib.sha1((stream_id + server.components[jid]).encode()).hexdigest()
        self.sock.sendall(f"<handshake>{digest}</handshake>".encode())
        self._read_until(r"<handshake\s*/>|<handshake>\s*</handshake>")

    def _read_until(self, pattern):
        deadline = time.monotonic() + self.timeout
        while True:
            match = re.search(pattern, self.buffer)
            if match:
                self.buffer = self.buffer[match.end():]
                return match.group(0)
            if time.monotonic() > deadline:
                raise util.HarnessError(f"{self.jid}: no {pattern!r}; got {self.buffer[-500:]}")
            data = self.sock.recv(65536)
            if not data:
                raise util.HarnessError(f"{self.jid}: stream closed; got {self.buffer[-500:]}")
            self.buffer += data.decode()

    def remove_item(self, user, item_jid):
        """Drop @item_jid from @user's roster; returns the answer's type."""
        self.sock.sendall((f"<iq type='set' id='tool-rm' from='{self.jid}' to='{user}'>"
                           f"<query xmlns='{NS_ROSTER}'><item jid='{item_jid}' "
                           "subscription='remove'/></query></iq>").encode())
        answer = self._read_until(r"<iq[^>]*id=['\"]tool-rm['\"][^>]*>")
        return re.search(r"type=['\"](\w+)['\"]", answer).group(1)

    def close(self):
        try:
            self.sock.sendall(b"</stream:stream>")
        except OSError:
            pass
        self.sock.close()


@pytest.fixture(scope="module")
def privileged_gateway(tmp_path_factory, cert_dir, polygate_binary,
                       no_leak_check_for_prpl_jabber):
    legacy_jid, pal_jid = f"ladderuser@{LEGACY}", f"pal@{LEGACY}"
    server = gateway_prosody(tmp_path_factory.mktemp("prosody-ladder"), cert_dir,
                             ("ladderuser", "pal", "newpal"), friends=[("ladderuser", "pal")],
                             components=(GATEWAY, ADMIN_TOOL),
                             privileged={GATEWAY: {"roster": "both"},
                                         ADMIN_TOOL: {"roster": "both"}})
    set_roster_item(server, legacy_jid,
                    f"<item jid='{pal_jid}' name='Pal'><group>Friends</group></item>")
    with serving(server, polygate_binary, tmp_path_factory.mktemp("polygate-ladder"),
                 admins=[CHECKER]) as gateway:
        yield gateway


def _roster(client, jid=None):
    """jid -> (name, subscription, groups) of @client's roster (or @jid's)."""
    reply = client.iq_get(jid or client.jid, f"<query xmlns='{NS_ROSTER}'/>")
    return {item.get("jid"): (item.get("name"), item.get("subscription"),
                              sorted(g.text for g in item.findall(f"{{{NS_ROSTER}}}group")))
            for item in reply.iter(f"{{{NS_ROSTER}}}item")}


def test_the_buddy_list_arrives_by_xep_0356_and_a_resync_restores_a_dropped_item(
        privileged_gateway):
    server, daemon, checker = privileged_gateway
    legacy_jid, pal_jid = f"ladderuser@{LEGACY}", f"pal@{LEGACY}"
    pal_contact = contact(pal_jid)
    jid = server.create_user(f"lad{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    tool = owner = None
    try:
        register_and_log_in(user, server, "ladderuser")

        # the top rung: the contact is in the roster, named, grouped, both
        # ways subscribed, and nobody asked the user anything
        util.wait_for(lambda: pal_contact in _roster(user), 60,
                      "the legacy buddy in the user's roster", daemon.log_path)
        assert _roster(user)[pal_contact] == ("Pal", "both", ["Friends"]), _roster(user)
        assert not user.presences(from_=pal_contact, ptype="subscribe")
        mode, note = roster_command(user)
        assert mode == "privileged", (mode, note)
        # the admin sees the rung too
        reply = checker.iq_set(GATEWAY, f"<command xmlns='{NS_COMMANDS}' node='online-users' "
                                        "action='execute'/>")
        assert f"{jid} (1 resource(s)) roster by privileged;" in to_string(reply), \
            to_string(reply)

        # an item dropped behind the user's back comes back with a re-sync
        tool = RosterTool(server, ADMIN_TOOL)
        assert tool.remove_item(jid, pal_contact) == "result"
        util.wait_for(lambda: pal_contact not in _roster(user), 30,
                      "the dropped item gone", daemon.log_path)
        mode, note = roster_command(user, resync=True)
        assert mode == "privileged" and "Re-sync" in note, note
        util.wait_for(lambda: pal_contact in _roster(user), 30,
                      "the dropped item back after the re-sync", daemon.log_path)
        assert _roster(user)[pal_contact] == ("Pal", "both", ["Friends"]), _roster(user)

        # the user cannot grant the gateway anything (here mod_privilege,
        # loaded on the component's host, refuses it before the gateway
        # sees it; test_jabber_roster.py has the gateway refuse it)
        assert forge_privilege(user) == ("auth", "forbidden")
        assert roster_command(user)[0] == "privileged"

        # a contact the user adds goes to the legacy list and keeps the
        # user's name and group in the roster, subscribed both ways
        newpal_jid = f"newpal@{LEGACY}"
        newpal_contact = contact(newpal_jid)
        reply = user.iq_set(jid, f"<query xmlns='{NS_ROSTER}'><item jid='{newpal_contact}' "
                                 "name='My New Pal'><group>Work</group></item></query>")
        assert reply.get("type") == "result", to_string(reply)
        user.send_presence(to=newpal_contact, ptype="subscribe")
        owner = XmppClient(legacy_jid, server.passwords[legacy_jid],
                           port=server.c2s_port).connect()
        util.wait_for(lambda: newpal_jid in _roster(owner), 30,
                      "the added contact in the legacy roster", daemon.log_path)
        util.wait_for(lambda: _roster(user).get(newpal_contact)
                      == ("My New Pal", "both", ["Work"]), 30,
                      "the added contact subscribed both ways, as the user named it",
                      daemon.log_path)

        # removing the contact removes the legacy buddy (RFC 6121 §2.5.2:
        # the server sends unsubscribe for an item subscribed both ways)
        reply = user.iq_set(jid, f"<query xmlns='{NS_ROSTER}'><item jid='{pal_contact}' "
                                 "subscription='remove'/></query>")
        assert reply.get("type") == "result", to_string(reply)
        util.wait_for(lambda: pal_jid not in _roster(owner), 30,
                      "the removed contact gone from the legacy roster", daemon.log_path)
        # ...and does not come back by itself
        assert pal_contact not in _roster(user)
    finally:
        if tool is not None:
            tool.close()
        for client in (user, owner):
            if client is not None:
                client.disconnect()
