"""Shared pieces of the IRC gateway tests (tests/integration/test_irc_*.py).

The real chain: slixmpp client -> Prosody -> polygate (XEP-0114) ->
polygate-purple (libpurple prpl-irc) -> ngircd <- raw IRC test client.

- IrcPolygate: the colleague's Polygate harness plus the settings the IRC
  tests need ([polygate] worker/users_per_worker, irc_port, irc_throttle_*),
  added to the config it writes (harness/polygate.py stays untouched).
- XMPP helpers the base client does not have yet: send a message or a MUC
  join, wait for a message or a presence by predicate, read MUC status codes.
  They use the XmppClient's received-stanza lists (same consumed flags as
  its wait_for_presence), so both styles can be mixed in one test.
- Fixtures, imported by each test module (so "module" scope means one
  Prosody + ngircd + daemon per test module):
      irc_prosody, ngircd, irc_checker, gateway, make_irc_user, make_irc_client
  A module may define `gateway_options` (a dict) to change the daemon's
  config ("global" and "xmpp" hold [polygate] and [xmpp] keys), and
  `ngircd_password` to give ngircd a server password, and a module
  constant NGIRCD_TLS = True has it listen with TLS too (ngircd.tls_port, a
  self-signed certificate whose fingerprint is ngircd.cert_sha256).

Two transports are served: irc.localhost (no fixed server: JIDs carry
%127.0.0.1) and ircnet.localhost (irc_server = 127.0.0.1: JIDs without it).
"""

import copy
import itertools
import os
import re
import time
import uuid
from xml.sax.saxutils import escape, quoteattr

import pytest
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from . import util
from .client import XmppClient, to_string
from .irc import IrcClient
from .ngircd import Ngircd
from .polygate import Polygate, find_binary
from .prosody import DOMAIN, Prosody
from .xep import register_form

NS_CLIENT = "jabber:client"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"

IRC = "irc.localhost"          # no fixed server
IRCNET = "ircnet.localhost"    # irc_server = 127.0.0.1
SERVER = "127.0.0.1"

EXTRA_TRANSPORT_KEYS = ("irc_port", "irc_tls", "irc_throttle_burst", "irc_throttle_interval",
                        "irc_allow", "irc_deny", "irc_user_ports", "history_max_messages")
# The IRC servers of the tests run on loopback, which Polygate refuses
# unless the operator allows it: any public server, and all of loopback.
LOOPBACK_ALLOWED = "*;127.0.0.0/8;::1;"
WORKER_NAME = "polygate-purple"


# -- the daemon with IRC settings ---------------------------------------------

class IrcPolygate(Polygate):
    """Polygate whose config also carries [polygate] options (worker,
    users_per_worker) and the irc_* transport keys."""

    def __init__(self, binary, directory, prosody, transports, global_options=None,
                 log_level="debug", xmpp_options=None, extra_config=""):
        self.global_options = dict(global_options or {})
        # more groups, as text ([webirc NAME]...)
        self.extra_config = extra_config
        self.xmpp_options = dict(xmpp_options or {})
        super().__init__(binary, directory, prosody, transports=transports,
                         log_level=log_level)

    def write_config(self):
        super().write_config()
        with open(self.config_path) as f:
            lines = f.read().split("\n")
        out = []
        for line in lines:
            out.append(line)
            if line == "[polygate]":
                out += [f"{k} = {v}" for k, v in self.global_options.items()]
            if line == "[xmpp]":
                out += [f"{k} = {v}" for k, v in self.xmpp_options.items()]
            for t in self.transports:
                if line == f"[transport {t['name']}]":
                    out += [f"{k} = {t[k]}" for k in EXTRA_TRANSPORT_KEYS if k in t]
        out.append(self.extra_config)
        fd = os.open(self.config_path, os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(out))

    def worker_pids(self):
        """PIDs of the daemon's polygate-purple children (from /proc)."""
        return worker_pids(self.pid)


def worker_pids(parent_pid):
    return util.children_named(parent_pid, WORKER_NAME)


def irc_client_port(ngircd_log, nick):
    """The local TCP port of nick's latest connection to ngircd, from
    ngircd's log ("Accepted connection N from ..." then "User "nick!..."
    registered (connection N)"), or None."""
    accepted = {}
    port = None
    for line in ngircd_log.splitlines():
        m = re.search(r'Accepted connection (\d+) from "127\.0\.0\.1:(\d+)"', line)
        if m:
            accepted[m.group(1)] = int(m.group(2))
            continue
        m = re.search(r'User "([^!"]+)![^"]*" registered \(connection (\d+)\)', line)
        if m and m.group(1).lower() == nick.lower():
            port = accepted.get(m.group(2))
    return port


def pid_with_local_port(port, pids):
    """Which of pids holds a TCP socket bound locally to 127.0.0.1:port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for row in f:
                    fields = row.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(f"socket:[{fields[9]}]")
        except OSError:
            continue
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                continue
    return None


def transports_for(ngircd_port, throttle_interval=0, throttle_burst=None, **extra):
    """Both IRC transports; throttle_interval=None leaves the default; extra
    keys (e.g. max_rooms_per_user, irc_allow, irc_deny) go into both
    transport groups.  Loopback is allowed unless extra says otherwise."""
    common = {"type": "irc", "irc_port": ngircd_port, "irc_allow": LOOPBACK_ALLOWED, **extra}
    if throttle_interval is not None:
        common["irc_throttle_interval"] = throttle_interval
    if throttle_burst is not None:
        common["irc_throttle_burst"] = throttle_burst
    return (
        dict(common, name="irc", jid=IRC, display="IRC gateway"),
        dict(common, name="ircnet", jid=IRCNET, display="IRC gateway (fixed server)",
             irc_server=SERVER),
    )


# -- JIDs ---------------------------------------------------------------------

def contact_jid(nick, transport=IRC):
    return f"{nick}%{SERVER}@{IRC}" if transport == IRC else f"{nick}@{transport}"


def room_jid(channel, transport=IRC):
    return f"{channel}%{SERVER}@{IRC}" if transport == IRC else f"{channel}@{transport}"


# -- XMPP helpers --------------------------------------------------------------

def send_message(client, to, body=None, mtype="chat", msg_id=None, subject=None):
    """Send a message; return its id."""
    msg_id = msg_id or f"m-{uuid.uuid4().hex[:12]}"
    parts = [f"<message xmlns='{NS_CLIENT}' to={quoteattr(to)} type={quoteattr(mtype)} "
             f"id={quoteattr(msg_id)}>"]
    if subject is not None:
        parts.append(f"<subject>{escape(subject)}</subject>")
    if body is not None:
        parts.append(f"<body>{escape(body)}</body>")
    parts.append("</message>")
    client.send_raw("".join(parts))
    return msg_id


def send_presence(client, to, show=None, status=None, ptype=None, muc=False):
    attrs = f" to={quoteattr(to)}"
    if ptype is not None:
        attrs += f" type={quoteattr(ptype)}"
    inner = ""
    if show is not None:
        inner += f"<show>{escape(show)}</show>"
    if status is not None:
        inner += f"<status>{escape(status)}</status>"
    if muc:
        inner += f"<x xmlns='{NS_MUC}'/>"
    client.send_raw(f"<presence xmlns='{NS_CLIENT}'{attrs}>{inner}</presence>")


def join_room(client, room, nick):
    send_presence(client, f"{room}/{nick}", muc=True)


def leave_room(client, room, nick):
    send_presence(client, f"{room}/{nick}", ptype="unavailable")


def record_stream(client):
    """From now on keep every presence and message the client receives:
    client.stream = [(kind, element), ...] in arrival order, and
    client.all_messages = [[consumed, element], ...].  slixmpp's "message"
    event (which the base client listens to) fires only for messages with
    a <body/>, so a subject change would be invisible there."""
    client.stream = []
    client.all_messages = []

    def on_presence(stanza):
        with client._cond:
            client.stream.append(("presence", copy.deepcopy(stanza.xml)))
            client._cond.notify_all()

    def on_message(stanza):
        element = copy.deepcopy(stanza.xml)
        with client._cond:
            client.stream.append(("message", element))
            client.all_messages.append([False, element])
            client._cond.notify_all()

    def add():
        client.xmpp.add_event_handler("presence", on_presence)
        client.xmpp.register_handler(Callback(
            "polygate-tests all messages", MatchXPath(f"{{{NS_CLIENT}}}message"), on_message))
    client._loop.run(_call(add), 5)


async def _call(function):
    return function()


def stream(client, predicate=lambda kind, element: True):
    with client._cond:
        return [(k, e) for k, e in client.stream if predicate(k, e)]


def _wait(client, kind, predicate, timeout, what, log_paths=()):
    entries = client._presences if kind == "presence" else client.all_messages
    with client._cond:
        def find():
            for entry in entries:
                if not entry[0] and predicate(entry[1]):
                    entry[0] = True
                    return entry
            return None
        found = client._cond.wait_for(find, timeout)
        if found:
            return found[1]
        seen = "\n".join(to_string(e) for _, e in entries[-12:]) or "(none)"
    tails = "".join(f"\n--- {p}:\n{util.log_tail(p, 30)}" for p in log_paths)
    raise util.HarnessError(f"{client.jid}: no {kind} for {what} within {timeout}s; "
                            f"last {kind}s received:\n{seen}{tails}")


def wait_message(client, predicate, timeout=30, what="a message", log_paths=()):
    return _wait(client, "message", predicate, timeout, what, log_paths)


def wait_presence(client, predicate, timeout=30, what="a presence", log_paths=()):
    return _wait(client, "presence", predicate, timeout, what, log_paths)


def messages(client, predicate=lambda m: True):
    """Every message received so far (consumed or not), subject-only ones too."""
    with client._cond:
        return [m for _, m in client.all_messages if predicate(m)]


def presences(client, predicate=lambda p: True):
    """Every presence received so far, in order, consumed or not."""
    with client._cond:
        return [p for _, p in client._presences if predicate(p)]


def consume_all(client):
    with client._cond:
        for entry in client._presences + client.all_messages:
            entry[0] = True


def body(stanza):
    element = stanza.find(f"{{{NS_CLIENT}}}body")
    return element.text or "" if element is not None else None


def subject(stanza):
    element = stanza.find(f"{{{NS_CLIENT}}}subject")
    return (element.text or "") if element is not None else None


def ptype(stanza):
    return stanza.get("type") or "available"


def muc_x(stanza):
    return stanza.find(f"{{{NS_MUC_USER}}}x")


def statuses(stanza):
    x = muc_x(stanza)
    if x is None:
        return set()
    return {int(s.get("code")) for s in x.findall(f"{{{NS_MUC_USER}}}status")}


def muc_item(stanza):
    x = muc_x(stanza)
    return x.find(f"{{{NS_MUC_USER}}}item") if x is not None else None


def is_from(stanza, jid):
    return (stanza.get("from") or "") == jid


def chat_from(jid, text=None):
    """Predicate: a chat message from jid (with body text, if given)."""
    def match(m):
        return (is_from(m, jid) or (m.get("from") or "").split("/")[0] == jid) \
            and (m.get("type") or "normal") == "chat" and body(m) is not None \
            and (text is None or body(m) == text)
    return match


def groupchat_from(jid, text=None):
    def match(m):
        return is_from(m, jid) and m.get("type") == "groupchat" and body(m) is not None \
            and (text is None or body(m) == text)
    return match


def occupant_presence(occupant, type_="available", codes=()):
    """Predicate: presence from occupant (room/nick) of type_, carrying every
    status code in codes."""
    def match(p):
        return is_from(p, occupant) and ptype(p) == type_ and set(codes) <= statuses(p)
    return match


def notice_from(*senders):
    """Predicate: a message with a body from one of senders (bare JIDs): a
    notice from the transport (chat) or from a room (groupchat, no nick)."""
    wanted = {s.lower() for s in senders}
    def match(m):
        return (m.get("from") or "").lower() in wanted and body(m) is not None
    return match


def transport_notice(transport):
    """Predicate: a chat message from the transport itself (a notice)."""
    def match(m):
        return (m.get("from") or "").split("/")[0] == transport and body(m) is not None
    return match


# -- fixtures -------------------------------------------------------------------

_numbers = itertools.count(1)


def unique(prefix):
    """A short name unique in this run (IRC nicks: at most 30 characters)."""
    return f"{prefix}{os.getpid() % 10000}x{next(_numbers)}"


@pytest.fixture(scope="module")
def ngircd_password():
    return None


@pytest.fixture(scope="module")
def gateway_options():
    return {}


@pytest.fixture(scope="module")
def irc_prosody(tmp_path_factory, cert_dir):
    server = Prosody(str(tmp_path_factory.mktemp("prosody-irc")), cert_dir,
                     components=(IRC, IRCNET))
    server.create_user("harness")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory, ngircd_password, request):
    server = Ngircd(str(tmp_path_factory.mktemp("ngircd")), password=ngircd_password,
                    tls=getattr(request.module, "NGIRCD_TLS", False))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def irc_checker(irc_prosody):
    jid = f"harness@{DOMAIN}"
    client = XmppClient(jid, irc_prosody.passwords[jid], port=irc_prosody.c2s_port).connect()
    yield client
    client.disconnect()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, irc_prosody, ngircd, irc_checker, gateway_options):
    """The daemon serving irc.localhost and ircnet.localhost against ngircd."""
    binary = find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"polygate binary not found ({binary}); set POLYGATE_BIN",
                    pytrace=False)
    options = dict(gateway_options)
    global_options = dict(options.pop("global", {}))
    xmpp_options = dict(options.pop("xmpp", {}))
    extra_config = options.pop("extra_config", "")
    if os.environ.get("POLYGATE_WORKER"):
        global_options.setdefault("worker", os.path.abspath(os.environ["POLYGATE_WORKER"]))
    worker = global_options.get("worker") or os.path.join(
        os.path.dirname(binary), "..", "backends", "purple", WORKER_NAME)
    if not os.access(worker, os.X_OK):
        pytest.fail(f"worker {worker} not built; set POLYGATE_WORKER or build "
                    "backends/purple", pytrace=False)
    daemon = IrcPolygate(binary, str(tmp_path_factory.mktemp("polygate-irc")), irc_prosody,
                         transports_for(ngircd.port, **options),
                         global_options=global_options, xmpp_options=xmpp_options,
                         extra_config=extra_config)
    daemon.ngircd = ngircd
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


class IrcUser:
    """An XMPP user registered on the IRC transports with an IRC nick."""

    def __init__(self, client, nick, gateway):
        self.client = client
        self.nick = nick
        self.gateway = gateway

    @property
    def jid(self):
        return self.client.jid

    @property
    def logs(self):
        return (self.gateway.log_path, self.gateway.ngircd.log_path)

    def go_online(self, transport=IRC, show=None, status=None):
        send_presence(self.client, transport, show=show, status=status)

    def wait_on_irc(self, timeout=45):
        """Until ngircd logs our nick's registration (the worker logged in);
        a rejected login ('User "nick!..." rejected') does not count."""
        pattern = re.compile(rf'User "{re.escape(self.nick)}![^"]*" registered')
        util.wait_for(lambda: pattern.search(self.gateway.ngircd.log()), timeout,
                      f"{self.nick} to register on ngircd", self.gateway.log_path,
                      alive=lambda: self.gateway.running)

    def worker_pid(self):
        """The polygate-purple child of the daemon that holds our IRC
        connection (matched by its socket's local port)."""
        port = irc_client_port(self.gateway.ngircd.log(), self.nick)
        if port is None:
            return None
        return pid_with_local_port(port, self.gateway.worker_pids())

    def reconnect(self, timeout=30):
        """A new XMPP stream for the same account (what a client does after
        its server restarted); the stream recording starts afresh."""
        self.client.reconnect(timeout)
        record_stream(self.client)

    def join(self, channel, transport=IRC, timeout=45):
        """Join channel as our nick; wait for the self-presence (110) and
        return every presence from the room up to it, in order."""
        room = room_jid(channel, transport)
        join_room(self.client, room, self.nick)
        wait_presence(self.client, lambda p: (p.get("from") or "").startswith(room + "/")
                      and 110 in statuses(p), timeout, f"self-presence of {room}",
                      self.logs)
        return room

    def send(self, to, text, mtype="chat", msg_id=None):
        return send_message(self.client, to, text, mtype, msg_id)

    def wait_message(self, predicate, timeout=30, what="a message"):
        return wait_message(self.client, predicate, timeout, what, self.logs)

    def wait_presence(self, predicate, timeout=30, what="a presence"):
        return wait_presence(self.client, predicate, timeout, what, self.logs)


@pytest.fixture
def make_irc_user(irc_prosody, gateway):
    """make_irc_user(transports=(IRC,), online=True, **fields) -> IrcUser:
    a new XMPP account registered with a unique nick (plus any extra
    registration fields), and (online) its available presence sent to the
    transports, which starts the session."""
    made = []

    def make(transports=(IRC,), online=True, nick=None, **fields):
        localpart = unique("ircuser")
        jid = irc_prosody.create_user(localpart)
        client = XmppClient(jid, irc_prosody.passwords[jid],
                            port=irc_prosody.c2s_port).connect()
        made.append(client)
        nick = nick or unique("n")
        for transport in transports:
            reply = client.iq_set(transport, register_form(dict(fields, nick=nick)))
            assert reply.get("type") == "result", to_string(reply)
        record_stream(client)
        user = IrcUser(client, nick, gateway)
        if online:
            for transport in transports:
                user.go_online(transport)
        return user

    yield make
    for client in made:
        client.disconnect()


@pytest.fixture
def make_irc_client(ngircd):
    """make_irc_client(prefix='bob') -> a connected raw IRC client with a
    unique nick starting with prefix."""
    made = []

    def make(prefix="bob", nick=None):
        client = IrcClient(ngircd.port, nick or unique(prefix)).connect()
        made.append(client)
        return client

    yield make
    for client in made:
        client.quit()
        client.close()


# -- scenarios -------------------------------------------------------------------

def bare(jid):
    return (jid or "").split("/", 1)[0].lower()


def in_a_room(make_irc_user, make_irc_client, topic=None):
    """bob (raw IRC client, chanop) in a new channel, then the XMPP user joins it.
    Returns (user, bob, channel, room JID)."""
    bob = make_irc_client("bob")
    channel = "#" + unique("c")
    bob.join(channel)
    if topic is not None:
        bob.topic(channel, topic)
        bob.wait_for(lambda l: l.is_("TOPIC", nick=bob.nick, target=channel), 20,
                     "bob's TOPIC echo")
    user = make_irc_user()
    room = user.join(channel)
    bob.wait_for(lambda l: l.is_("JOIN", nick=user.nick), 30, f"{user.nick} to JOIN",
                 user.logs)
    return user, bob, channel, room


def sync(user, bob, channel, room):
    """bob says something and the user sees it: everything bob or the
    gateway sent before has arrived."""
    token = "sync " + unique("s")
    bob.privmsg(channel, token)
    user.wait_message(groupchat_from(f"{room}/{bob.nick}", token), 30, "the sync line")


def send_burst(client, room, texts, mtype="groupchat"):
    """Many messages in one write to the XMPP server (a paste); their ids."""
    ids = [f"b-{uuid.uuid4().hex[:10]}" for _ in texts]
    client.send_raw("".join(
        f"<message xmlns='{NS_CLIENT}' to={quoteattr(room)} type={quoteattr(mtype)} "
        f"id={quoteattr(i)}><body>{escape(t)}</body></message>" for i, t in zip(ids, texts)))
    return ids


def happens_within(condition, timeout, interval=0.1):
    """Watch condition() for timeout seconds: True as soon as it holds,
    False if it never did (for "X must not happen": a bounded observation
    window, not a synchronisation)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)  # polling interval of a bounded observation
    return bool(condition())


def wait_until(condition, timeout, what, log_paths=()):
    """util.wait_for with several log tails on failure."""
    try:
        return util.wait_for(condition, timeout, what)
    except util.HarnessError as e:
        tails = "".join(f"\n--- {p}:\n{util.log_tail(p, 30)}" for p in log_paths)
        raise util.HarnessError(f"{e}{tails}") from None


def disco_info_identities(reply):
    query = reply.find(f"{{{NS_DISCO_INFO}}}query")
    if query is None:
        return []
    return [(i.get("category"), i.get("type")) for i in
            query.findall(f"{{{NS_DISCO_INFO}}}identity")]

