"""polygate-purple driving prpl-polygate-sms against a real Kannel on 127.0.0.1.

The test plays the daemon: it spawns the worker with its end of a socketpair
(--ipc-fd), loads only the SMS plugin from the build dir (--plugin), and
speaks the worker protocol of src/ipc/pg-ipc-message.h (a 4-byte big-endian
length, then a GVariant (usa{sv}), built and parsed with PyGObject's
GLib.Variant).  Kannel, the fake SMSC and the delivery-report sink are the
ones of test_sms_plugin.py (harness/kannel.py).  Every wait has a deadline;
"nothing else came" is checked with a ping/pong barrier, never with a sleep.

Run: meson test -C build --suite integration-sms
 or: PG_TEST_WORKER=build/backends/purple/polygate-purple \
     PG_SMS_PLUGIN_DIR=build/backends/purple-kannel \
     /usr/bin/python3 -m pytest tests/integration/test_sms_worker.py
"""

import os
import re
import socket
import struct
import subprocess
import threading
import time

import pytest

from harness import kannel as kannel_harness
from harness import util
from harness.polygate import find_binary, sanitizer_report

try:
    from gi.repository import GLib
except ImportError:  # python3-gi, gir1.2-glib-2.0 (contrib/scripts/install-deps.sh)
    GLib = None



def _protocol_version():
    """The worker contract's version, read from its one header so that a bump
    there (src/ipc/pg-ipc-message.h) cannot leave these raw clients behind."""
    header = os.path.join(os.path.dirname(__file__), "..", "..", "src", "ipc",
                          "pg-ipc-message.h")
    with open(header, encoding="utf-8") as f:
        match = re.search(r"^#define PG_IPC_PROTOCOL_VERSION (\d+)$", f.read(), re.M)
    assert match, "PG_IPC_PROTOCOL_VERSION not found in " + header
    return int(match.group(1))


PROTOCOL_VERSION = _protocol_version()
OWN_NUMBER = "+15551230002"
PEER = "+491510000002"
ACCEPTED, TEMPORARY, PERMANENT = 0, 1, 2
PURPLE_MESSAGE_RECV = 0x0002

pytestmark = [
    pytest.mark.skipif(not kannel_harness.available(),
                       reason="Kannel (bearerbox, smsbox) is not installed"),
    pytest.mark.skipif(GLib is None, reason="PyGObject (python3-gi) is not installed"),
]


def find_worker():
    """(polygate-purple, libpolygate-sms.so): PG_TEST_WORKER and PG_SMS_PLUGIN_DIR
    (meson test sets them), else next to the daemon the other tests use."""
    worker = os.environ.get("PG_TEST_WORKER")
    plugin_dir = os.environ.get("PG_SMS_PLUGIN_DIR")
    if not (worker and plugin_dir):
        daemon = find_binary()
        if daemon is None:
            return None, None
        build = os.path.dirname(os.path.dirname(daemon))
        worker = os.path.join(build, "backends", "purple", "polygate-purple")
        plugin_dir = os.path.join(build, "backends", "purple-kannel")
    return worker, os.path.join(os.path.abspath(plugin_dir), "libpolygate-sms.so")


def _variant(value):
    """A Python value as the GVariant the protocol wants for it."""
    if isinstance(value, GLib.Variant):
        return value
    if isinstance(value, bool):
        return GLib.Variant("b", value)
    if isinstance(value, int):
        return GLib.Variant("u", value)
    if isinstance(value, str):
        return GLib.Variant("s", value)
    if isinstance(value, dict):
        return GLib.Variant("a{ss}", value)
    raise TypeError(f"no GVariant type for {value!r}")


def encode(request_id, kind, fields):
    payload = GLib.Variant("(usa{sv})", (request_id, kind,
                                         {k: _variant(v) for k, v in fields.items()}))
    data = payload.get_data_as_bytes().get_data()
    return struct.pack(">I", len(data)) + data


def decode(payload):
    variant = GLib.Variant.new_from_bytes(GLib.VariantType.new("(usa{sv})"),
                                          GLib.Bytes.new(payload), False)
    assert variant.is_normal_form(), "the worker sent a GVariant not in normal form"
    return Event(*variant.unpack())


class Event:
    def __init__(self, request_id, kind, fields):
        self.id = request_id
        self.kind = kind
        self.fields = fields

    def __getitem__(self, name):
        return self.fields[name]

    def get(self, name, default=None):
        return self.fields.get(name, default)

    def __repr__(self):
        return f"Event({self.id}, {self.kind!r}, {self.fields!r})"


class Worker:
    """polygate-purple with only the SMS plugin, and its events as they come."""

    def __init__(self, directory):
        binary, plugin = find_worker()
        if binary is None or not os.access(binary, os.X_OK) or not os.path.exists(plugin):
            pytest.fail(f"worker or SMS plugin not built ({binary}, {plugin}); set "
                        "PG_TEST_WORKER and PG_SMS_PLUGIN_DIR (meson test --suite "
                        "integration-sms does)", pytrace=False)
        runtime = os.path.join(directory, "runtime")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        self.stderr_path = os.path.join(directory, "worker.stderr")
        self.sock, child = socket.socketpair()
        env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
        # memory errors, not leaks: libpurple leaves allocations behind in
        # plugins it already dlclose()d (as tests/worker/test-worker.c says)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                     "detect_leaks=0"]))
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [binary, "--ipc-fd", str(child.fileno()), "--plugin", plugin],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                stdout=stderr, stderr=stderr, env=env)
        child.close()
        self.next_id = 0
        self.pending = []       # events not taken by expect() yet
        self.closed = False
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        hello = self.expect("hello")
        assert (hello["version"], hello["program"]) == (PROTOCOL_VERSION, "polygate-purple")
        self.send("hello", version=PROTOCOL_VERSION, program="test")

    def _read_exactly(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _read(self):
        try:
            while True:
                header = self._read_exactly(4)
                if header is None:
                    break
                payload = self._read_exactly(struct.unpack(">I", header)[0])
                if payload is None:
                    break
                event = decode(payload)
                with self._cond:
                    self.pending.append(event)
                    self._cond.notify_all()
        except OSError:
            pass
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def send(self, kind, **fields):
        """Send a command; returns its request id."""
        self.next_id += 1
        self.sock.sendall(encode(self.next_id, kind, fields))
        return self.next_id

    def expect(self, kind, predicate=lambda event: True, timeout=30):
        """Take the first event of this kind that satisfies predicate, waiting
        for it until the deadline; other events stay pending."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.pending:
                    if event.kind == kind and predicate(event):
                        self.pending.remove(event)
                        return event
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    raise util.HarnessError(
                        f"no '{kind}' event within {timeout}s"
                        f"{' (worker closed the socket)' if self.closed else ''}; "
                        f"pending {self.pending[-10:]}; stderr:\n"
                        f"{util.log_tail(self.stderr_path)}")
                self._cond.wait(left)

    def barrier(self):
        """Everything the worker sent before answering a ping is pending now."""
        request = self.send("ping")
        self.expect("pong", lambda e: e.id == request)
        self.expect("stats", lambda e: e.id == request)

    def errors(self):
        with self._cond:
            return [e for e in self.pending if e.kind == "error"]

    def login(self, key, options, username=OWN_NUMBER, password=None):
        fields = {"account": key, "protocol": "prpl-polygate-sms", "username": username,
                  "options": options}
        if password is not None:
            fields["password"] = password
        return self.send("login", **fields)

    def close(self):
        """Shut down the way the daemon does; returns the exit status."""
        if self.proc.poll() is None:
            try:
                self.send("shutdown")
            except OSError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                util.stop_process(self.proc)
        self.sock.close()
        self._reader.join(timeout=5)
        return self.proc.returncode


@pytest.fixture(scope="module")
def sink():
    server = kannel_harness.HttpSink()
    yield server
    server.close()


def _start_kannel(directory):
    server = kannel_harness.Kannel(directory, max_messages=10)
    server.start()
    return server


def _stop_kannel(server):
    for name, (code, killed) in server.stop().items():
        assert not killed, f"{name} needed SIGKILL to stop"


@pytest.fixture(scope="module")
def kannel(tmp_path_factory):
    server = _start_kannel(str(tmp_path_factory.mktemp("kannel")))
    yield server
    _stop_kannel(server)


@pytest.fixture
def smsc(kannel):
    client = kannel_harness.FakeSmsc(kannel).connect()
    yield client
    client.close()


@pytest.fixture
def worker(tmp_path):
    process = Worker(str(tmp_path))
    yield process
    status = process.close()
    with open(process.stderr_path, "rb") as f:
        report = sanitizer_report(f.read().decode("utf-8", "replace"))
    assert not report, f"sanitizer report from the worker:\n{report}"
    assert status == 0, f"worker exited {status}:\n{util.log_tail(process.stderr_path)}"


def daemon_options(kannel, sink=None, **extra):
    """The options the daemon sends for an SMS account (all strings, a{ss})."""
    options = {
        "sendsms-url": kannel.sendsms_url,
        "sendsms-username": kannel.sendsms_user,
        "dlr-url": sink.url("/kannel/dlr?token=t0k3n") if sink is not None else "",
        "smsc": kannel_harness.SMSC_ID,
        "show-errors": "false",
        "max-parts": "10",
        "timeout": "10",
    }
    options.update(extra)
    return options


def login_connected(worker, key, options, password):
    request = worker.login(key, options, password=password)
    state = worker.expect("login-state", lambda e: e["account"] == key
                          and e["state"] in ("connected", "disconnected"))
    assert state["state"] == "connected", (state, worker.errors())
    assert not [e for e in worker.errors() if e.id == request]
    return state


def test_login_with_the_daemons_options_connects_without_network(kannel, sink, worker):
    login_connected(worker, "alice@example.org/sms",
                    daemon_options(kannel, sink, sender=OWN_NUMBER), kannel.sendsms_password)
    worker.barrier()
    assert worker.errors() == []


def test_send_im_with_a_message_id_reaches_the_smsc_and_sms_sent_names_that_id(
        kannel, smsc, sink, worker):
    key = "alice@example.org/sms"
    login_connected(worker, key, daemon_options(kannel, sink), kannel.sendsms_password)
    request = worker.send("send-im", account=key, to=PEER, body="Hello <you> & me",
                          message_id="outbox-1_a.b")
    sent = worker.expect("sms-sent", lambda e: e["message_id"] == "outbox-1_a.b")
    assert (sent["account"], sent["to"], sent["outcome"]) == (key, PEER, ACCEPTED)
    assert sent.get("reason") == "0: Accepted for delivery"

    mt = smsc.wait_message()
    assert (mt.sender, mt.receiver, mt.text) == (OWN_NUMBER, PEER, "Hello <you> & me")
    sink.wait_for(lambda p, q: q.get("id") == "outbox-1_a.b" and q.get("status") == "1",
                  30, "the delivery report under the daemon's id")

    # the password outlives the sign-on (the plugin needs it for every send),
    # and without a message_id the plugin picks a random one
    worker.send("send-im", account=key, to=PEER, body="second")
    sent = worker.expect("sms-sent", lambda e: e["message_id"] != "outbox-1_a.b")
    assert sent["outcome"] == ACCEPTED and len(sent["message_id"]) == 36
    assert smsc.wait_message().text == "second"
    worker.barrier()
    assert worker.errors() == [], f"request {request}"


def test_a_stopped_smsbox_is_a_temporary_failure_and_a_retry_keeps_the_id(
        tmp_path, worker):
    own = _start_kannel(str(tmp_path / "kannel"))
    smsc = kannel_harness.FakeSmsc(own).connect()
    try:
        key = "bob@example.org/sms"
        login_connected(worker, key, daemon_options(own), own.sendsms_password)
        own.stop_smsbox()
        worker.send("send-im", account=key, to=PEER, body="retry me", message_id="m-77")
        sent = worker.expect("sms-sent", lambda e: e["message_id"] == "m-77")
        assert sent["outcome"] == TEMPORARY
        assert sent.get("reason"), "a failure always has a reason"

        own.start_smsbox()
        worker.send("send-im", account=key, to=PEER, body="retry me", message_id="m-77")
        sent = worker.expect("sms-sent", lambda e: e["message_id"] == "m-77")
        assert sent["outcome"] == ACCEPTED
        assert smsc.wait_message().text == "retry me"
        worker.barrier()
        assert worker.errors() == []
    finally:
        try:
            smsc.close()
        finally:
            _stop_kannel(own)


def test_a_refused_sms_is_reported_once_as_sms_sent_and_not_as_an_error(kannel, worker):
    key = "carol@example.org/sms"
    login_connected(worker, key, daemon_options(kannel), kannel.sendsms_password)
    request = worker.send("send-im", account=key, to="12345", body="hi", message_id="r-1")
    sent = worker.expect("sms-sent", lambda e: e["message_id"] == "r-1")
    assert (sent.id, sent["to"], sent["outcome"]) == (request, "12345", PERMANENT)
    assert "E.164" in sent["reason"]
    worker.barrier()
    assert worker.errors() == []


def test_the_daemons_string_options_reach_the_plugin_typed(kannel, worker):
    # max-parts and timeout are int options, show-errors a bool: all arrive
    # as strings and the worker types them by the plugin's declarations
    key = "heidi@example.org/sms"
    login_connected(worker, key, daemon_options(kannel, **{"max-parts": "1"}),
                    kannel.sendsms_password)
    worker.send("send-im", account=key, to=PEER, body="y" * 161, message_id="long-1")
    sent = worker.expect("sms-sent", lambda e: e["message_id"] == "long-1")
    assert sent["outcome"] == PERMANENT
    assert "needs 2 SMS parts; at most 1" in sent["reason"]


def test_an_unsafe_message_id_is_a_bad_request(kannel, worker):
    key = "dave@example.org/sms"
    login_connected(worker, key, daemon_options(kannel), kannel.sendsms_password)
    request = worker.send("send-im", account=key, to=PEER, body="x",
                          message_id="a&status=1")
    error = worker.expect("error", lambda e: e.get("request") == request)
    assert (error.id, error["condition"], error.get("account")) == (
        request, "bad-request", key)
    worker.barrier()
    assert [e for e in worker.pending if e.kind == "sms-sent"] == []


def test_inject_im_comes_back_as_im_received_with_the_same_text(kannel, worker):
    key = "erin@example.org/sms"
    login_connected(worker, key, daemon_options(kannel), kannel.sendsms_password)
    for text in ("a<b & c>d", "line one\nline two\n\nafter a blank line",
                 "emoji 😀 and ça, \"quoted\" 'single' &amp; <b>not bold</b>",
                 "tab\there  two  spaces"):
        worker.send("inject-im", account=key, **{"from": PEER}, body=text)
        event = worker.expect("im-received", lambda e: e["account"] == key)
        assert (event["from"], event["body"]) == (PEER, text)
        assert event.get("flags", 0) & PURPLE_MESSAGE_RECV
    worker.barrier()
    assert worker.errors() == []


def test_inject_im_for_an_unknown_account_is_item_not_found(worker):
    request = worker.send("inject-im", account="nobody@example.org/sms",
                          **{"from": PEER}, body="hi")
    error = worker.expect("error", lambda e: e.get("request") == request)
    assert error["condition"] == "item-not-found"


def test_inject_im_for_a_disconnected_account_is_recipient_unavailable(kannel, worker):
    key = "frank@example.org/sms"
    worker.login(key, daemon_options(kannel), username="frank", password="pw")
    state = worker.expect("login-state", lambda e: e["state"] == "disconnected")
    assert state["fatal"] and "E.164" in state["reason"]
    request = worker.send("inject-im", account=key, **{"from": PEER}, body="hi")
    error = worker.expect("error", lambda e: e.get("request") == request)
    assert (error["condition"], error.get("account")) == ("recipient-unavailable", key)
    worker.barrier()
    assert [e for e in worker.pending if e.kind == "im-received"] == []


@pytest.fixture
def silent_server():
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def test_logout_reports_an_sms_in_flight_as_a_temporary_failure(silent_server, worker):
    key = "grace@example.org/sms"
    login_connected(worker, key, {
        "sendsms-url": f"http://127.0.0.1:{silent_server}/cgi-bin/sendsms",
        "show-errors": "false"}, "pw")
    worker.send("send-im", account=key, to=PEER, body="in flight", message_id="f-1")
    worker.barrier()  # the request is out: nothing reported yet
    assert [e for e in worker.pending if e.kind == "sms-sent"] == []
    worker.send("logout", account=key)
    sent = worker.expect("sms-sent", lambda e: e["message_id"] == "f-1")
    assert (sent["account"], sent["outcome"]) == (key, TEMPORARY)
    assert "disconnected" in sent["reason"]
