"""prpl-polygate-sms against a real Kannel on 127.0.0.1.

A tiny libpurple UI (tests/sms/sms-host.c, built by meson) loads the plugin
from the build dir, as Pidgin would, and sends through Kannel's sendsms; the
fake SMSC (a Python socket, harness/kannel.py) sees what Kannel sends on, and
an HTTP sink gets the delivery reports.  Every wait has a deadline.

Run: meson test -C build-sms --suite integration-sms
 or: PG_SMS_HOST=build-sms/backends/purple-kannel/sms-host \
     PG_SMS_PLUGIN_DIR=build-sms/backends/purple-kannel \
     /usr/bin/python3 -m pytest tests/integration/test_sms_plugin.py
"""

import os
import queue
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest

from harness import kannel as kannel_harness
from harness import util
from harness.polygate import find_binary

OWN_NUMBER = "+15551230001"
PEER = "+491510000001"
ACCEPTED, TEMPORARY, PERMANENT = 0, 1, 2
LSAN_SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sms",
                                 "lsan.supp")

pytestmark = pytest.mark.skipif(not kannel_harness.available(),
                                reason="Kannel (bearerbox, smsbox) is not installed")


def _quote(value):
    return urllib.parse.quote(str(value), safe="")


def find_host():
    """(sms-host, plugin dir): PG_SMS_HOST and PG_SMS_PLUGIN_DIR (meson test sets
    them), else the build dir of the daemon the other integration tests use
    (POLYGATE_BIN, as contrib/scripts/test.sh runs them)."""
    binary = os.environ.get("PG_SMS_HOST")
    plugin_dir = os.environ.get("PG_SMS_PLUGIN_DIR")
    if binary and plugin_dir:
        return binary, plugin_dir
    daemon = find_binary()
    if daemon is None:
        return None, None
    plugin_dir = os.path.join(os.path.dirname(os.path.dirname(daemon)), "backends",
                              "purple-kannel")
    return os.path.join(plugin_dir, "sms-host"), plugin_dir


class SmsHost:
    """tests/sms/sms-host: one libpurple process with one SMS account."""

    def __init__(self, directory):
        binary, plugin_dir = find_host()
        if binary is None or not os.access(binary, os.X_OK):
            pytest.fail(f"sms-host not built ({binary}); set PG_SMS_HOST and "
                        "PG_SMS_PLUGIN_DIR (meson test --suite integration-sms does)",
                        pytrace=False)
        self.user_dir = os.path.join(directory, "purple")
        os.makedirs(self.user_dir, exist_ok=True)
        self.stderr_path = os.path.join(directory, "sms-host.stderr")
        self.events = queue.Queue()
        self.seen = []      # every event read so far, for failure messages
        self.pending = []   # events read but not taken by expect() yet
        env = dict(os.environ)
        # under ASan: libpurple's own start-up leaks are suppressed, ours are not;
        # suppressions need whole stacks, and GLib has no frame pointers
        env["LSAN_OPTIONS"] = f"suppressions={LSAN_SUPPRESSIONS}:print_suppressions=0"
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                     "fast_unwind_on_malloc=0"]))
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen([binary, plugin_dir, self.user_dir],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=stderr, env=env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.expect("ready")

    def _read(self):
        for raw in self.proc.stdout:
            words = raw.decode("ascii").rstrip("\n").split(" ")
            self.events.put([words[0]] + [urllib.parse.unquote(w) for w in words[1:]])
        self.events.put(None)

    def command(self, *words):
        line = " ".join([words[0]] + [_quote(w) for w in words[1:]]) + "\n"
        self.proc.stdin.write(line.encode("ascii"))
        self.proc.stdin.flush()

    def expect(self, kind, predicate=lambda event: True, timeout=30):
        """The first event not taken yet of this kind that satisfies predicate
        (others stay for a later expect: two events of one action may come in
        either order); fails at the deadline or when the host exits."""
        for event in self.pending:
            if event[0] == kind and predicate(event):
                self.pending.remove(event)
                return event
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise util.HarnessError(
                    f"no '{kind}' event within {timeout}s; seen {self.seen[-10:]}; "
                    f"stderr:\n{util.log_tail(self.stderr_path)}")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event is None:
                raise util.HarnessError(
                    f"sms-host exited (rc {self.proc.wait()}) while waiting for '{kind}'; "
                    f"seen {self.seen[-10:]}; stderr:\n{util.log_tail(self.stderr_path)}")
            self.seen.append(event)
            if event[0] == kind and predicate(event):
                return event
            self.pending.append(event)

    def login(self, options, username=OWN_NUMBER, password="", expect_signed_on=True):
        for key, value in options.items():
            if isinstance(value, bool):
                self.command("setbool", key, int(value))
            elif isinstance(value, int):
                self.command("setint", key, value)
            else:
                self.command("set", key, value)
        self.command("login", username, password)
        if expect_signed_on:
            self.expect("signed-on")
        return self

    def send(self, to, html, timeout=30):
        """Send; returns (message id, sms-sent event)."""
        self.command("send", to, html)
        sending = self.expect("sms-sending", timeout=timeout)
        message_id = sending[2]
        sent = self.expect("sms-sent", lambda e: e[2] == message_id, timeout)
        return message_id, sent

    def close(self):
        if self.proc.poll() is None:
            try:
                self.command("quit")
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                util.stop_process(self.proc)
        return self.proc.returncode


@pytest.fixture(scope="module")
def sink():
    server = kannel_harness.HttpSink()
    yield server
    server.close()


@pytest.fixture(scope="module")
def kannel(tmp_path_factory):
    server = kannel_harness.Kannel(str(tmp_path_factory.mktemp("kannel")), max_messages=10)
    server.start()
    yield server
    results = server.stop()
    for name, (code, killed) in results.items():
        assert not killed, f"{name} needed SIGKILL to stop"


@pytest.fixture
def smsc(kannel):
    client = kannel_harness.FakeSmsc(kannel).connect()
    yield client
    client.close()


@pytest.fixture
def host(tmp_path):
    process = SmsHost(str(tmp_path))
    yield process
    assert process.close() == 0, f"sms-host failed:\n{util.log_tail(process.stderr_path)}"


def kannel_options(kannel, sink=None, **extra):
    options = {
        "sendsms-url": kannel.sendsms_url,
        "sendsms-username": kannel.sendsms_user,
    }
    if sink is not None:
        options["dlr-url"] = sink.url("/kannel/dlr?token=t0k3n")
    options.update(extra)
    return options


def test_ascii_text_reaches_the_smsc_and_both_delivery_reports_come_back(
        kannel, smsc, sink, host):
    host.login(kannel_options(kannel, sink), password=kannel.sendsms_password)
    message_id, sent = host.send(PEER, "Hello from Polygate")
    assert sent[1:] == [PEER, message_id, str(ACCEPTED), "0: Accepted for delivery"]

    mt = smsc.wait_message()
    assert (mt.sender, mt.receiver, mt.kind, mt.text) == (
        OWN_NUMBER, PEER, "text", "Hello from Polygate")

    # dlr-mask=31 with the fake SMSC: 8 (SMSC ack) then 1 (delivered)
    for status in ("8", "1"):
        path, query = sink.wait_for(
            lambda p, q: q.get("id") == message_id and q.get("status") == status,
            30, f"delivery report {status} for {message_id}")
        assert path == "/kannel/dlr"
        assert query["token"] == "t0k3n"


def test_accented_latin_stays_gsm(kannel, smsc, host):
    host.login(kannel_options(kannel), password=kannel.sendsms_password)
    _, sent = host.send(PEER, "héllo à Zürich, ¿Ñ? 5€ {x}")
    assert sent[3] == str(ACCEPTED)
    mt = smsc.wait_message()
    assert (mt.kind, mt.text) == ("text", "héllo à Zürich, ¿Ñ? 5€ {x}")


def test_c_cedilla_and_emoji_go_as_ucs2(kannel, smsc, host):
    host.login(kannel_options(kannel), password=kannel.sendsms_password)
    for text in ("ça va 😀", "Привет, мир"):
        _, sent = host.send(PEER, text)
        assert sent[3] == str(ACCEPTED)
        mt = smsc.wait_message()
        assert (mt.sender, mt.receiver, mt.kind, mt.text) == (OWN_NUMBER, PEER, "ucs-2", text)


def test_a_400_character_text_arrives_whole_in_three_parts(kannel, smsc, sink, host):
    host.login(kannel_options(kannel, sink), password=kannel.sendsms_password)
    text = ("abcdefghijklmnopqrstuvwxyz" * 16)[:391] + " the end."
    assert len(text) == 400
    message_id, sent = host.send(PEER, text)
    assert sent[3] == str(ACCEPTED)
    mt = smsc.wait_message()
    assert (mt.kind, mt.parts, mt.text) == ("text", 3, text)
    # Kannel asks for a delivery report on the first part only
    sink.wait_for(lambda p, q: q.get("id") == message_id and q.get("status") == "1",
                  30, "delivery report for the long message")


def test_a_message_id_chosen_by_the_ui_is_used_once(kannel, smsc, sink, host):
    host.login(kannel_options(kannel, sink), password=kannel.sendsms_password)
    chosen = "outbox-42_v1.0"
    host.command("send-with-id", PEER, chosen, "with my id")
    assert host.expect("sms-sending")[2] == chosen
    sent = host.expect("sms-sent", lambda e: e[2] == chosen)
    assert sent[3] == str(ACCEPTED)
    assert smsc.wait_message().text == "with my id"
    sink.wait_for(lambda p, q: q.get("id") == chosen and q.get("status") == "1",
                  30, f"delivery report for {chosen}")
    # the setting was taken: the next message gets a fresh random id again
    message_id, sent = host.send(PEER, "no id")
    assert message_id != chosen and len(message_id) == 36
    assert sent[3] == str(ACCEPTED)
    smsc.wait_message()


@pytest.mark.parametrize("bad", ["has space", "a&status=1", "x" * 65, "é"])
def test_an_unsafe_message_id_is_ignored_for_a_random_one(kannel, smsc, host, bad):
    host.login(kannel_options(kannel), password=kannel.sendsms_password)
    host.command("send-with-id", PEER, bad, "bad id")
    message_id = host.expect("sms-sending")[2]
    assert message_id != bad and len(message_id) == 36
    sent = host.expect("sms-sent", lambda e: e[2] == message_id)
    assert sent[3] == str(ACCEPTED)
    assert smsc.wait_message().text == "bad id"


def test_markup_is_stripped_and_entities_decoded(kannel, smsc, host):
    host.login(kannel_options(kannel), password=kannel.sendsms_password)
    _, sent = host.send(PEER, "<b>5 &lt; 6</b> &amp; &quot;q&quot;")
    assert sent[3] == str(ACCEPTED)
    assert smsc.wait_message().text == '5 < 6 & "q"'


def test_sender_option_replaces_the_own_number(kannel, smsc, host):
    host.login(kannel_options(kannel, sender="Polygate"), password=kannel.sendsms_password)
    host.send(PEER, "from a name")
    assert smsc.wait_message().sender == "Polygate"


def test_wrong_password_is_a_permanent_failure_shown_in_the_conversation(kannel, host):
    host.login(kannel_options(kannel), password="wrong")
    _, sent = host.send(PEER, "nope")
    assert sent[3:] == [str(PERMANENT), "Authorization failed for sendsms"]
    error = host.expect("conv-error", lambda e: "Authorization failed" in e[2])
    assert error[1] == PEER


def test_invalid_number_is_refused_before_any_request(kannel, host):
    host.login(kannel_options(kannel), password=kannel.sendsms_password)
    _, sent = host.send("12345", "hi")
    assert sent[1] == "12345"
    assert sent[3] == str(PERMANENT)
    assert "E.164" in sent[4]


def test_a_text_over_max_parts_is_refused(kannel, host):
    host.login(kannel_options(kannel, **{"max-parts": 2}), password=kannel.sendsms_password)
    _, sent = host.send(PEER, "x" * 307)
    assert sent[3] == str(PERMANENT)
    assert "3 SMS parts" in sent[4]


def test_unreachable_kannel_is_a_temporary_failure(host):
    port = util.free_port()  # nothing listens there
    host.login({"sendsms-url": f"http://127.0.0.1:{port}/cgi-bin/sendsms"}, password="pw")
    _, sent = host.send(PEER, "anyone?")
    assert sent[3] == str(TEMPORARY)
    assert "Connection refused" in sent[4]


@pytest.fixture
def silent_server():
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def test_no_answer_within_the_timeout_is_a_temporary_failure(host, silent_server):
    host.login({"sendsms-url": f"http://127.0.0.1:{silent_server}/cgi-bin/sendsms",
                "timeout": 1}, password="pw")
    _, sent = host.send(PEER, "hello?")
    assert sent[3] == str(TEMPORARY)
    assert "did not answer within 1 s" in sent[4]


def test_logout_reports_a_pending_request(host, silent_server):
    host.login({"sendsms-url": f"http://127.0.0.1:{silent_server}/cgi-bin/sendsms"},
               password="pw")
    host.command("send", PEER, "in flight")
    message_id = host.expect("sms-sending")[2]
    host.command("logout")
    sent = host.expect("sms-sent", lambda e: e[2] == message_id)
    assert sent[3] == str(TEMPORARY)
    assert "disconnected" in sent[4]


def test_an_injected_inbound_sms_reaches_the_conversation(host):
    host.login({}, password="pw")
    host.command("inject", PEER, "Hi &amp; welcome")
    event = host.expect("received-im")
    assert event[1:] == [PEER, "Hi &amp; welcome"]


def test_an_invalid_own_number_fails_the_login(host):
    host.login({}, username="alice", password="pw", expect_signed_on=False)
    event = host.expect("connection-error")
    assert "E.164" in event[1]
