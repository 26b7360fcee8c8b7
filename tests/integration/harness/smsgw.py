"""The whole SMS gateway on 127.0.0.1, for tests/integration/test_sms_gateway*.py
and contrib/bench/sms_bench.py.

The real chain, both ways:

    slixmpp user -> Prosody -> polygate (XEP-0114, durable outbox) -> worker
      (polygate-purple + prpl-polygate-sms) -> [SendsmsProxy] -> smsbox sendsms
      -> bearerbox -> fake SMSC (Python, harness/kannel.py FakeSmsc)
    FakeSmsc MO line -> bearerbox -> smsbox sms-service get-url
      -> polygate /kannel/inbound -> worker (inject-im) or the bare JID -> user
    bearerbox DLR -> smsbox -> the dlr-url the daemon chose -> /kannel/dlr
      -> XEP-0184 receipt or message error

SendsmsProxy is a transparent HTTP hop between the SMS plugin and Kannel's
sendsms: it forwards every request unchanged and records its parameters
(without the password), so a test can read the dlr-url the daemon put in a
request (its id is "pg<outbox row id>").  For the receivers a test names in
`hold_dlr` it strips dlr-mask/dlr-url before forwarding: Kannel's fake SMSC
always reports success (gw/smsc/smsc_fake.c has no way to fail a message), so
a failed delivery report is made by calling that recorded dlr-url with
status=2 exactly as Kannel would (deliver_dlr()).  For the receivers in
`hold_reply` it holds Kannel's answer back until the test sets the event (a
slow answer that a delivery report overtakes).  When Kannel's sendsms is
down the proxy resets the plugin's connection (SO_LINGER 0): no HTTP reply at
all, as with a refused connection.

Fixtures (import them into a test module: module scope = one Prosody +
Kannel + daemon per module):  smsgw, make_sms_user.
"""

import itertools
import os
import queue
import re
import socket
import struct
import threading
import time
import http.server
import urllib.error
import urllib.parse
import urllib.request
import uuid
from xml.sax.saxutils import escape, quoteattr

import pytest

from . import kannel as kannel_harness
from . import util
from .client import XmppClient, to_string
from .ircgw import record_stream, wait_message, wait_presence, body, consume_all
from .polygate import Polygate, find_binary
from .prosody import DOMAIN, Prosody
from .xep import register_form

SMS = "sms.localhost"
NS_CLIENT = "jabber:client"
NS_RECEIPTS = "urn:xmpp:receipts"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_PING = "urn:xmpp:ping"


# -- numbers --------------------------------------------------------------------

_counter = itertools.count(1)


def unique_number(prefix="+1555"):
    """An E.164 number unique in this run: prefix + 7 digits (pid and a counter)."""
    n = (os.getpid() % 1000) * 10000 + next(_counter)
    return f"{prefix}{n:07d}"[:16]


def contact(number):
    return f"{number}@{SMS}"


# -- the fake SMSC, with waits by predicate -----------------------------------------

class SmscInbox:
    """Every MT message the FakeSmsc got, in arrival order; wait() takes the
    first not yet taken one matching a predicate (others stay), so tests that
    share the module's SMSC never steal each other's messages."""

    def __init__(self, smsc):
        self.smsc = smsc
        self.received = []   # [taken, SmsMessage]
        self._lock = threading.Lock()

    def _drain(self, timeout):
        try:
            message = self.smsc.messages.get(timeout=timeout)
        except queue.Empty:
            return
        with self._lock:
            self.received.append([False, message])
        while True:
            try:
                message = self.smsc.messages.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                self.received.append([False, message])

    def _take(self, predicate):
        with self._lock:
            for entry in self.received:
                if not entry[0] and predicate(entry[1]):
                    entry[0] = True
                    return entry[1]
        return None

    def wait(self, predicate, timeout=30, what="an MT message", log_paths=()):
        deadline = time.monotonic() + timeout
        while True:
            found = self._take(predicate)
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                with self._lock:
                    seen = [m for _, m in self.received[-10:]]
                tails = "".join(f"\n--- {p}:\n{util.log_tail(p, 30)}" for p in log_paths)
                raise util.HarnessError(
                    f"no {what} at the fake SMSC within {timeout}s; last received: {seen}; "
                    f"raw lines: {self.smsc.lines[-5:]}{tails}")
            self._drain(min(left, 0.5))

    def wait_to(self, receiver, timeout=30, log_paths=()):
        return self.wait(lambda m: m.receiver == receiver, timeout,
                         f"an MT message to {receiver}", log_paths)

    def count(self, predicate=lambda m: True):
        self._drain(0)
        with self._lock:
            return sum(1 for _, m in self.received if predicate(m))


# -- the sendsms hop -------------------------------------------------------------------

class SendsmsProxy:
    """A transparent HTTP hop in front of Kannel's sendsms (see the module doc)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.requests = []      # dicts of the sendsms parameters, password removed
        self.hold_dlr = set()   # receivers whose dlr-mask/dlr-url are not passed on
        self.hold_reply = {}    # receiver -> threading.Event: Kannel's answer waits for it
        self.answered = []      # (receiver, HTTP status) once Kannel's answer went back
        self.refuse = {}        # receiver -> (status, body): answered here, not forwarded
        self.reset = set()      # receivers whose request is reset, as if sendsms were down
        self.record = True
        self._cond = threading.Condition()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                path, _, query = self.path.partition("?")
                params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
                to = params.get("to")
                if to in proxy.hold_dlr:
                    kept = [(k, v) for k, v in
                            urllib.parse.parse_qsl(query, keep_blank_values=True)
                            if k not in ("dlr-mask", "dlr-url")]
                    query = urllib.parse.urlencode(kept, quote_via=urllib.parse.quote)
                if proxy.record:
                    params.pop("password", None)
                    with proxy._cond:
                        proxy.requests.append(params)
                        proxy._cond.notify_all()
                url = f"http://127.0.0.1:{proxy.upstream_port}{path}?{query}"
                if to in proxy.refuse:
                    status, body = proxy.refuse[to]
                    data = body.encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    with proxy._cond:
                        proxy.answered.append((to, status))
                        proxy._cond.notify_all()
                    return
                if to in proxy.reset:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                try:
                    with urllib.request.urlopen(url, timeout=30) as reply:
                        status, data = reply.status, reply.read()
                except urllib.error.HTTPError as e:
                    status, data = e.code, e.read()
                except OSError:
                    # sendsms is down: no HTTP answer at all (a reset, as the
                    # plugin would see a refused connection)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                # a slow answer: Kannel took the SMS, its answer is late
                held = proxy.hold_reply.get(to)
                if held is not None:
                    held.wait(60)
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                with proxy._cond:
                    proxy.answered.append((to, status))
                    proxy._cond.notify_all()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/cgi-bin/sendsms"

    def wait_request(self, predicate, timeout=30, what="a sendsms request"):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for params in self.requests:
                    if predicate(params):
                        return params
                left = deadline - time.monotonic()
                if left <= 0:
                    raise util.HarnessError(
                        f"no {what} within {timeout}s; got {self.requests[-5:]}")
                self._cond.wait(left)

    def wait_answered(self, receiver, count=1, timeout=30):
        """Until Kannel's answers to count requests for receiver went back to
        the plugin; returns their HTTP statuses."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                statuses = [st for to, st in self.answered if to == receiver]
                if len(statuses) >= count:
                    return statuses
                left = deadline - time.monotonic()
                if left <= 0:
                    raise util.HarnessError(
                        f"Kannel answered {len(statuses)} of {count} requests for {receiver} "
                        f"within {timeout}s")
                self._cond.wait(left)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def dlr_id(dlr_url):
    """The id= of a dlr-url the daemon chose."""
    query = urllib.parse.urlsplit(dlr_url).query
    return dict(urllib.parse.parse_qsl(query)).get("id")


def deliver_dlr(dlr_url, status, answer="", handset=""):
    """Call a dlr-url as Kannel's smsbox does: substitute %d, %A, %p (each
    URL-escaped) and GET it.  Returns the HTTP status."""
    url = (dlr_url.replace("%d", str(status))
           .replace("%A", urllib.parse.quote(answer, safe=""))
           .replace("%p", urllib.parse.quote(handset, safe="")))
    return http_get(url)


def http_get(url, timeout=10):
    """(status, body) of a GET, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


# -- the whole gateway ------------------------------------------------------------------

def inbound_get_url(http_port, token):
    """Kannel's sms-service get-url for the daemon (src/http/pg-http.h)."""
    return (f"http://127.0.0.1:{http_port}/kannel/inbound?token={token}"
            "&from=%p&to=%P&text=%b&charset=%C&coding=%c&smsc=%i&id=%I&ts=%T")


class SmsGateway:
    """Prosody (sms.localhost) + Kannel (bearerbox, smsbox, fake SMSC) +
    SendsmsProxy + polygate, started in that order, stopped in reverse."""

    def __init__(self, directory, cert_dir, binary=None, log_level="debug", proxy=True,
                 transport_options=None, global_options=None):
        self.dir = os.path.abspath(directory)
        self.binary = binary or find_binary()
        self.prosody = Prosody(os.path.join(self.dir, "prosody"), cert_dir, components=(SMS,))
        self.prosody.create_user("harness")
        self.kannel = kannel_harness.Kannel(os.path.join(self.dir, "kannel"), max_messages=10,
                                            concatenation=True)
        self.proxy = SendsmsProxy(self.kannel.sendsms_port) if proxy else None
        transport = {
            "name": "sms", "jid": SMS, "type": "sms", "display": "SMS gateway",
            "kannel_sendsms_url": self.proxy.url if proxy else self.kannel.sendsms_url,
            "kannel_username": self.kannel.sendsms_user,
            "kannel_password": self.kannel.sendsms_password,
            "kannel_smsc": kannel_harness.SMSC_ID,
        }
        transport.update(transport_options or {})
        self.daemon = Polygate(self.binary, os.path.join(self.dir, "polygate"), self.prosody,
                               transports=(transport,), log_level=log_level)
        if global_options:
            self._add_global_options(global_options)
        # Kannel calls the daemon back: its get-url needs the daemon's port and token
        self.kannel.get_url = inbound_get_url(self.daemon.http_port, self.daemon.kannel_token)
        self.kannel._write_config()
        self.smsc = None
        self.inbox = None
        self.checker = None

    def _add_global_options(self, options):
        with open(self.daemon.config_path) as f:
            lines = f.read().split("\n")
        out = []
        for line in lines:
            out.append(line)
            if line == "[polygate]":
                out += [f"{k} = {v}" for k, v in options.items()]
        fd = os.open(self.daemon.config_path, os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(out))

    @property
    def log_paths(self):
        return (self.daemon.log_path, self.kannel.smsbox_log, self.kannel.bearerbox_log)

    @property
    def http_port(self):
        return self.daemon.http_port

    @property
    def token(self):
        return self.daemon.kannel_token

    def start(self):
        self.prosody.start()
        self.kannel.start()
        self.smsc = kannel_harness.FakeSmsc(self.kannel).connect()
        self.inbox = SmscInbox(self.smsc)
        jid = f"harness@{DOMAIN}"
        self.checker = XmppClient(jid, self.prosody.passwords[jid],
                                  port=self.prosody.c2s_port).connect()
        self.daemon.start(self.checker)
        util.wait_for(lambda: util.port_open("127.0.0.1", self.daemon.http_port), 15,
                      "the daemon's HTTP listener", self.daemon.log_path,
                      alive=lambda: self.daemon.running)
        return self

    def stop(self):
        """Everything, in reverse order; the daemon's exit is checked last so
        every process is stopped even if it failed."""
        errors = []
        try:
            self.daemon.stop()
        except util.HarnessError as e:
            errors.append(str(e))
        if self.checker is not None:
            self.checker.disconnect()
        if self.smsc is not None:
            try:
                self.smsc.close()
            except util.HarnessError as e:
                errors.append(str(e))
        for name, (code, killed) in self.kannel.stop().items():
            if killed:
                errors.append(f"{name} needed SIGKILL to stop")
        if self.proxy is not None:
            self.proxy.close()
        self.prosody.stop()
        if errors:
            raise util.HarnessError("\n\n".join(errors))

    # -- Kannel's callbacks, called directly ------------------------------------
    def inbound_url(self, token=None, **params):
        query = urllib.parse.urlencode(dict(params, token=token or self.token),
                                       quote_via=urllib.parse.quote)
        return f"http://127.0.0.1:{self.http_port}/kannel/inbound?{query}"

    def call_inbound(self, token=None, **params):
        return http_get(self.inbound_url(token, **params))

    def prosody_offline_file(self, localpart):
        """Prosody 0.12's internal store of a user's offline messages."""
        return os.path.join(self.prosody.dir, "data", DOMAIN.replace(".", "%2e"), "offline",
                            f"{localpart}.list")


class SmsUser:
    """An XMPP user registered on sms.localhost with their own number."""

    def __init__(self, gateway, client, number):
        self.gateway = gateway
        self.client = client
        self.number = number

    @property
    def jid(self):
        return self.client.jid

    @property
    def localpart(self):
        return self.jid.split("@", 1)[0]

    def go_online(self):
        """Available presence to the transport: the session (and the SMS link)
        comes up."""
        self.client.send_raw(f"<presence xmlns='{NS_CLIENT}' to='{SMS}'/>")

    def send(self, to, text, msg_id=None, receipt=True):
        """A chat message to a number (or any JID); returns its id."""
        msg_id = msg_id or f"s-{uuid.uuid4().hex[:12]}"
        to_jid = to if "@" in to else contact(to)
        request = f"<request xmlns='{NS_RECEIPTS}'/>" if receipt else ""
        self.client.send_raw(
            f"<message xmlns='{NS_CLIENT}' to={quoteattr(to_jid)} type='chat' "
            f"id={quoteattr(msg_id)}><body>{escape(text)}</body>{request}</message>")
        return msg_id

    def wait_message(self, predicate, timeout=30, what="a message"):
        return wait_message(self.client, predicate, timeout, what, self.gateway.log_paths)

    def wait_presence(self, predicate, timeout=30, what="a presence"):
        return wait_presence(self.client, predicate, timeout, what, self.gateway.log_paths)

    def fence(self, timeout=30):
        """A ping to the transport and its answer: every stanza the daemon
        sent this user before it handled the ping has arrived (the daemon
        answers in order, and Prosody passes one component's stanzas on in
        order).  For "X did not happen" checks after the daemon did Y."""
        reply = self.client.iq_get(SMS, f"<ping xmlns='{NS_PING}'/>", timeout=timeout)
        assert reply.get("type") == "result", to_string(reply)

    def dlr_handled(self, dlr_url, status, timeout=30):
        """Until the daemon logged the delivery report `status` for the
        outbox id in dlr_url (it logs, then acts, in one main-loop turn: a
        fence() after this sees what it sent for the report)."""
        pattern = re.compile(rf"delivery report on \S+ for {re.escape(dlr_id(dlr_url))}: "
                             rf"status {status}\b")
        util.wait_for(lambda: pattern.search(self.gateway.daemon.output()), timeout,
                      f"the daemon to handle delivery report {status} of {dlr_url}",
                      self.gateway.daemon.log_path)


def chat_from(jid, text=None):
    def match(m):
        return (m.get("from") or "").split("/")[0] == jid \
            and (m.get("type") or "normal") == "chat" and body(m) is not None \
            and (text is None or body(m) == text)
    return match


def receipt_for(jid, msg_id):
    def match(m):
        received = m.find(f"{{{NS_RECEIPTS}}}received")
        return (m.get("from") or "").split("/")[0] == jid and received is not None \
            and received.get("id") == msg_id
    return match


def error_for(msg_id):
    def match(m):
        return m.get("type") == "error" and m.get("id") == msg_id
    return match


def error_of(stanza):
    """(type, condition, text) of a stanza's <error/>."""
    error = stanza.find(f"{{{NS_CLIENT}}}error")
    if error is None:
        return None
    condition = text = None
    for child in error:
        if child.tag == f"{{{NS_STANZAS}}}text":
            text = child.text
        elif child.tag.startswith(f"{{{NS_STANZAS}}}"):
            condition = child.tag.split("}", 1)[1]
    return error.get("type"), condition, text


def register(client, number):
    reply = client.iq_set(SMS, register_form({"phone": number}))
    assert reply.get("type") == "result", to_string(reply)


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def smsgw(tmp_path_factory, cert_dir):
    if not kannel_harness.available():
        pytest.skip("Kannel (bearerbox, smsbox) is not installed")
    binary = find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"polygate binary not found ({binary}); set POLYGATE_BIN", pytrace=False)
    gateway = SmsGateway(str(tmp_path_factory.mktemp("smsgw")), cert_dir, binary)
    try:
        gateway.start()
    except BaseException:
        try:
            gateway.stop()
        except util.HarnessError:
            pass
        raise
    yield gateway
    gateway.stop()


_users = itertools.count(1)


def new_client(gateway, prefix="smsuser"):
    localpart = f"{prefix}{os.getpid()}x{next(_users)}"
    jid = gateway.prosody.create_user(localpart)
    client = XmppClient(jid, gateway.prosody.passwords[jid],
                        port=gateway.prosody.c2s_port).connect()
    record_stream(client)
    return client


@pytest.fixture
def make_sms_user(smsgw):
    """make_sms_user(online=True, number=None) -> SmsUser: a new XMPP account
    registered on sms.localhost with a unique number; online: its available
    presence went to the transport."""
    made = []

    def make(online=True, number=None):
        client = new_client(smsgw)
        made.append(client)
        number = number or unique_number()
        register(client, number)
        user = SmsUser(smsgw, client, number)
        if online:
            user.go_online()
        return user

    yield make
    for client in made:
        client.disconnect()


__all__ = ["SMS", "SmsGateway", "SmsUser", "SmscInbox", "SendsmsProxy", "smsgw",
           "make_sms_user", "unique_number", "contact", "chat_from", "receipt_for",
           "error_for", "error_of", "deliver_dlr", "dlr_id", "http_get", "consume_all",
           "register", "new_client"]
