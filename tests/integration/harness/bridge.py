"""Shared pieces of the community bridge tests (tests/integration/test_bridge*.py).

The real chain, both ways:
  raw IRC clients -> ngircd -> polygate-purple (the bridge's IRC client) ->
  polygate (puppets, relay) -> Prosody's own MUC (conference.localhost, with
  mod_muc_mam) -> slixmpp occupants.

- BridgePolygate: the IRC gateway's daemon plus [bridge NAME] groups.
- Fixtures (module scope: one Prosody + ngircd + daemon per test module):
      bridge_prosody, ngircd, bridge_checker, bridge_gateway
  A module defines `bridge_names` (the bridges its tests use, each its own
  channel and room) and may define `bridge_options` (more keys per bridge).
- Bridged(): one bridge set up from an operator's point of view: the room
  created and configured by its XMPP owner, who makes the bridge's JID an
  owner; a chanop in the channel; then (approve=True) the chanop's approval.
"""

import os
import re
import uuid

import pytest

from . import util
from .client import XmppClient
from .ircgw import (IRC, IrcPolygate, WORKER_NAME, groupchat_from, join_room, ptype,
                    record_stream, statuses, transports_for, unique, wait_message,
                    wait_presence)
from .irc import IrcClient
from .ngircd import Ngircd
from .polygate import find_binary
from .prosody import DOMAIN, Prosody

MUC = "conference.localhost"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_DATA = "jabber:x:data"
MUC_COMPONENT = (f'Component "{MUC}" "muc"',
                 '  modules_enabled = { "muc_mam" }',
                 '  muc_room_default_public = true')


def bridge_jid(name):
    """The relay's bare JID: the one the room's owner makes an owner."""
    return f"bridge.{name}@{IRC}"


def puppet_jid(nick):
    return f"{nick}%127.0.0.1@{IRC}/bridge"


class BridgePolygate(IrcPolygate):
    def __init__(self, *args, bridges=(), admins=(f"harness@{DOMAIN}",), **kwargs):
        self.bridges = [dict(b) for b in bridges]
        super().__init__(*args, **kwargs)
        self.admins = list(admins)  # the bridges' XEP-0050 commands
        self.write_config()

    def write_config(self):
        super().write_config()
        lines = []
        for b in self.bridges:
            lines.append(f"\n[bridge {b['name']}]")
            lines += [f"{k} = {v}" for k, v in b.items() if k != "name"]
        with open(self.config_path, "a") as f:
            f.write("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def bridge_options():
    return {}


def start_bridge_prosody(tmp_path_factory, cert_dir, muc_modules=(), plugin_paths=(),
                         muc_lines=()):
    """The bridges' Prosody, started: the MUC component with mod_muc_mam
    and @muc_modules (found in @plugin_paths), plus @muc_lines in its
    section.  The caller stops it."""
    modules = "".join(f', "{m}"' for m in muc_modules)
    lines = [line.replace('"muc_mam"', '"muc_mam"' + modules) for line in MUC_COMPONENT]
    server = Prosody(str(tmp_path_factory.mktemp("prosody-bridge")), cert_dir,
                     components=(IRC, "ircnet.localhost"), plugin_paths=plugin_paths,
                     extra_lines=lines + list(muc_lines))
    server.create_user("harness")
    server.start()
    return server


@pytest.fixture(scope="module")
def bridge_prosody(tmp_path_factory, cert_dir):
    server = start_bridge_prosody(tmp_path_factory, cert_dir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    server = Ngircd(str(tmp_path_factory.mktemp("ngircd")))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bridge_checker(bridge_prosody):
    jid = f"harness@{DOMAIN}"
    client = XmppClient(jid, bridge_prosody.passwords[jid],
                        port=bridge_prosody.c2s_port).connect()
    yield client
    client.disconnect()


@pytest.fixture(scope="module")
def bridge_configs(bridge_names, bridge_options):
    """name -> the [bridge NAME] keys (channel, room, nick...)."""
    tag = f"{os.getpid() % 10000}"
    return {name: dict({"transport": "irc", "server": "127.0.0.1",
                        "channel": f"#{name}{tag}", "room": f"{name}{tag}@{MUC}",
                        "nick": f"{name}brg{tag}"}, **bridge_options.get(name, {}))
            for name in bridge_names}


@pytest.fixture(scope="module")
def bridge_gateway(tmp_path_factory, bridge_prosody, ngircd, bridge_checker, bridge_configs):
    binary = find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"polygate binary not found ({binary}); set POLYGATE_BIN", pytrace=False)
    worker = os.path.join(os.path.dirname(binary), "..", "backends", "purple", WORKER_NAME)
    daemon = BridgePolygate(binary, str(tmp_path_factory.mktemp("polygate-bridge")),
                            bridge_prosody, transports_for(ngircd.port),
                            global_options={"worker": os.path.abspath(worker)},
                            bridges=[dict(c, name=n) for n, c in bridge_configs.items()])
    daemon.ngircd = ngircd
    daemon.start(bridge_checker)
    yield daemon
    daemon.stop()


# -- people ----------------------------------------------------------------------

class Occupant:
    """An XMPP user in the native room."""

    def __init__(self, prosody, room, nick=None):
        self.prosody = prosody
        self.room = room
        self.nick = nick or unique("x")
        jid = prosody.create_user(unique("occ"))
        self.client = XmppClient(jid, prosody.passwords[jid], port=prosody.c2s_port).connect()
        record_stream(self.client)

    def join(self, timeout=30):
        join_room(self.client, self.room, self.nick)
        return wait_presence(self.client, lambda p: p.get("from") == f"{self.room}/{self.nick}"
                             and 110 in statuses(p), timeout, f"self-presence in {self.room}")

    def say(self, text, msg_id=None, extra=""):
        from xml.sax.saxutils import escape, quoteattr
        msg_id = msg_id or f"o-{uuid.uuid4().hex[:10]}"
        self.client.send_raw(f"<message xmlns='jabber:client' to={quoteattr(self.room)} "
                             f"type='groupchat' id={quoteattr(msg_id)}><body>{escape(text)}"
                             f"</body>{extra}</message>")
        return msg_id

    def wait_line(self, nick, text, timeout=30, logs=()):
        return wait_message(self.client, groupchat_from(f"{self.room}/{nick}", text), timeout,
                            f"{text!r} from {nick}", logs)

    def close(self):
        self.client.disconnect()


class Bridged:
    """One bridge of the module, set up as an operator would."""

    def __init__(self, gateway, name, config, make_irc):
        self.gateway = gateway
        self.name = name
        self.channel = config["channel"]
        self.room = config["room"]
        self.nick = config["nick"]
        self.make_irc = make_irc
        self.people = []
        self.logs = (gateway.log_path, gateway.ngircd.log_path, gateway.prosody.log_path)

    def occupant(self, nick=None):
        person = Occupant(self.gateway.prosody, self.room, nick)
        self.people.append(person)
        return person

    ROOM_FIELDS = ("muc#roomconfig_persistentroom", "muc#roomconfig_publicroom",
                   "muc#roomconfig_enablearchiving")

    def create_room(self):
        """The room's owner creates it (persistent, public, archived: the
        fields of ROOM_FIELDS, which a server may set by default instead)
        and makes the bridge's JID an owner (README "Move a community")."""
        owner = self.occupant()
        join_room(owner.client, self.room, owner.nick)
        wait_presence(owner.client, lambda p: p.get("from") == f"{self.room}/{owner.nick}"
                      and 110 in statuses(p), 30, "the room's creation")
        form = (f"<query xmlns='{NS_MUC_OWNER}'><x xmlns='{NS_DATA}' type='submit'>"
                "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
                "</value></field>"
                + "".join(f"<field var='{f}'><value>1</value></field>"
                          for f in self.ROOM_FIELDS)
                + "</x></query>")
        reply = owner.client.iq_set(self.room, form)
        assert reply.get("type") == "result", util_text(reply)
        self.set_affiliation(owner, bridge_jid(self.name), "owner")
        return owner

    def set_affiliation(self, owner, jid, affiliation):
        reply = owner.client.iq_set(
            self.room, f"<query xmlns='{NS_MUC_ADMIN}'><item affiliation='{affiliation}' "
                       f"jid='{jid}'/></query>")
        assert reply.get("type") == "result", util_text(reply)

    def wait_bridge_on_irc(self, timeout=60):
        pattern = re.compile(rf'User "{re.escape(self.nick)}![^"]*" registered')
        ngircd = self.gateway.ngircd
        util.wait_for(lambda: pattern.search(ngircd.log()[getattr(ngircd, "log_mark", 0):]),
                      timeout,
                      f"the bridge {self.nick} on IRC", self.gateway.log_path,
                      alive=lambda: self.gateway.running)

    def chanop(self, prefix="op"):
        op = self.make_irc(prefix)
        op.join(self.channel)
        return op

    def approve(self, op, timeout=60):
        self.wait_bridge_on_irc()
        op.privmsg(self.nick, "approve")
        op.wait_for(lambda l: l.is_("PRIVMSG", nick=self.nick) and l.text.startswith("Approved"),
                    timeout, "the bridge's approval answer", self.logs)
        op.wait_for(lambda l: l.is_("JOIN", nick=self.nick), timeout, "the bridge's JOIN",
                    self.logs)

    def close(self):
        for person in self.people:
            person.close()


def util_text(element):
    from .client import to_string
    return to_string(element)


@pytest.fixture
def make_irc(ngircd):
    made = []

    def make(prefix="u", nick=None):
        client = IrcClient(ngircd.port, nick or unique(prefix)).connect()
        made.append(client)
        return client

    yield make
    for client in made:
        client.quit()
        client.close()


ZWSP = "\u200b"  # after the nick's first character: no self-highlight (pg-bridge-render.h)


@pytest.fixture
def bridged(bridge_gateway, bridge_configs, make_irc):
    """make(name): the Bridged of the module's [bridge name], closed at the
    end of the test."""
    made = []

    def make(name):
        b = Bridged(bridge_gateway, name, bridge_configs[name], make_irc)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


def unbroken(text):
    return text.replace(ZWSP, "")


LEAF = "leaf.localhost"


LINK_PASSWORD = util.secret()


def allow_leaf(hub):
    """Restart @hub (the module's ngircd) knowing leaf.localhost: ngircd
    reads its config as root, before it becomes nobody, so a rehash
    cannot."""
    with open(os.path.join(hub.include_dir, "leaf.conf"), "w") as f:
        f.write(f"[Server]\n\tName = {LEAF}\n\tHost = 127.0.0.1\n"
                f"\tMyPassword = {LINK_PASSWORD}\n\tPeerPassword = {LINK_PASSWORD}\n")
    hub.log_mark = len(hub.log())  # registrations before this are gone
    hub.restart()


def link_leaf(hub, directory):
    """A second ngircd, leaf.localhost, linked to @hub (allow_leaf() first):
    its users quit with "ircd.localhost leaf.localhost" on the hub when it
    goes, a real netsplit (ngircd quotes a user's own QUIT reason, so a
    client cannot fake one).  Returns the started leaf."""
    password = LINK_PASSWORD
    leaf = Ngircd(directory)
    with open(leaf.config_path) as f:
        text = f.read().replace("Name = ircd.localhost", f"Name = {LEAF}")
    with open(leaf.config_path, "w") as f:
        f.write(text)
    with open(os.path.join(leaf.include_dir, "hub.conf"), "w") as f:
        f.write(f"[Server]\n\tName = ircd.localhost\n\tHost = 127.0.0.1\n"
                f"\tPort = {hub.port}\n\tMyPassword = {password}\n"
                f"\tPeerPassword = {password}\n")
    leaf.start()
    util.wait_for(lambda: re.search(rf'Server "{re.escape(LEAF)}".*registered', hub.log()), 60,
                  "the leaf's link to the hub", hub.log_path)
    return leaf


NS_COMMANDS = "http://jabber.org/protocol/commands"


def run_command(client, node, bridge=None):
    """XEP-0050 on the IRC transport: run @node (with the form's bridge
    field set to @bridge, for a two-stage command); returns its note and
    the lines of its result form, one per line."""
    reply = client.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='{node}' "
                               "action='execute'/>")
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command is not None, util_text(reply)
    if bridge is not None:
        assert command.get("status") == "executing", util_text(reply)
        reply = client.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='{node}' "
                                   f"sessionid='{command.get('sessionid')}' action='complete'>"
                                   f"<x xmlns='{NS_DATA}' type='submit'><field var='bridge'>"
                                   f"<value>{bridge}</value></field></x></command>")
        command = reply.find(f"{{{NS_COMMANDS}}}command")
        assert command is not None, util_text(reply)
    assert command.get("status") == "completed", util_text(reply)
    lines = [command.findtext(f"{{{NS_COMMANDS}}}note") or ""]
    form = command.find(f"{{{NS_DATA}}}x")
    for field in (form.findall(f"{{{NS_DATA}}}field") if form is not None else []):
        if field.get("var") == "lines":
            lines += [v.text or "" for v in field.findall(f"{{{NS_DATA}}}value")]
    return "\n".join(lines)


def relayed(nick, text):
    """IRC predicate: the bridge's line for an XMPP occupant's text."""
    def match(line):
        return line.command == "PRIVMSG" and unbroken(line.text) == f"<{nick}> {text}"
    return match


def presence_of(room, nick, type_="available"):
    def match(p):
        return p.get("from") == f"{room}/{nick}" and ptype(p) == type_
    return match
