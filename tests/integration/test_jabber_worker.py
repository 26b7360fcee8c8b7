"""polygate-purple driving prpl-jabber against a real Prosody on 127.0.0.1.

XMPP is the "legacy network" here (issue 9): a second VirtualHost,
legacy.localhost, of a Prosody of its own, with a self-signed certificate.
The test plays the daemon over the worker protocol (as test_sms_worker.py
does; src/ipc/pg-ipc-message.h is the contract), the worker runs as the
daemon starts it (--user-dir, in its Landlock sandbox where the kernel has one) with only the XMPP
plugin and TLS, and the legacy buddy is a slixmpp client on legacy.localhost.
Every wait has a deadline; nothing sleeps to synchronise.

Run: POLYGATE_BIN=build-test/src/polygate /usr/bin/python3 -m pytest \
     tests/integration/test_jabber_worker.py
"""

import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from harness import util
from harness.client import XmppClient, befriend
from harness.jabber import LEGACY, legacy_prosody
from test_sms_worker import GLib, PROTOCOL_VERSION, decode, encode, find_worker
from test_worker_sandbox import landlock_abi

ACCOUNT = "user@localhost/purple"
PLUGINS = ("libxmpp.so", "ssl.so", "ssl-nss.so")
# What a worker may write to its stderr while one login fails: a few lines,
# not the ~23,000 lines a second of a prompt loop (issue 9).
LOG_BOUND = 64 * 1024

pytestmark = pytest.mark.skipif(GLib is None, reason="PyGObject (python3-gi) is not installed")


@pytest.fixture(scope="module")
def legacy(tmp_path_factory, cert_dir):
    """A Prosody serving legacy.localhost (STARTTLS with the run's self-signed
    certificate, which covers *.localhost), with two accounts."""
    server = legacy_prosody(tmp_path_factory.mktemp("legacy-prosody"), cert_dir, ("alice", "bob"),
                            # a component, so that the harness sees the port it waits for
                            components=("unused.localhost",))
    server.start()
    befriend(server, f"alice@{LEGACY}", f"bob@{LEGACY}")
    yield server
    server.stop()




class JabberWorker:
    """polygate-purple with prpl-jabber, and its events as they come."""

    def __init__(self, directory):
        binary, _ = find_worker()
        if binary is None or not os.access(binary, os.X_OK):
            pytest.fail(f"worker not built ({binary})", pytrace=False)
        self.user_dir = os.path.join(directory, "user")
        os.makedirs(directory, exist_ok=True)
        os.mkdir(self.user_dir, 0o700)
        self.stderr_path = os.path.join(directory, "worker.stderr")
        self.sock, child = socket.socketpair()
        env = dict(os.environ)
        # memory errors, not leaks (libpurple's plugins leave allocations)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
        # in the sandbox, where the kernel has one: prpl-jabber's TLS (the CA
        # store, the peer cache in the user dir) must work there
        sandbox = "required" if landlock_abi() > 0 else "off"
        argv = [binary, "--ipc-fd", str(child.fileno()), f"--user-dir={self.user_dir}",
                f"--sandbox={sandbox}"] + [f"--plugin={p}" for p in PLUGINS]
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(argv, pass_fds=(child.fileno(),),
                                         stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                                         env=env)
        child.close()
        self.next_id = 0
        self.events = []
        self.closed = False
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        hello = self.expect("hello")
        assert hello["version"] == PROTOCOL_VERSION
        self.send("hello", version=PROTOCOL_VERSION, program="test")

    def _recv(self, size):
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
                header = self._recv(4)
                payload = header and self._recv(int.from_bytes(header, "big"))
                if payload is None:
                    break
                with self.cond:
                    self.events.append(decode(payload))
                    self.cond.notify_all()
        except OSError:
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def send(self, kind, **fields):
        self.next_id += 1
        self.sock.sendall(encode(self.next_id, kind, fields))
        return self.next_id

    def expect(self, kind, predicate=lambda e: True, timeout=30):
        """Take the first event of this kind matching predicate."""
        def found():
            return next((e for e in self.events if e.kind == kind and predicate(e)), None)
        with self.cond:
            self.cond.wait_for(lambda: found() is not None or self.closed, timeout)
            event = found()
            if event is not None:
                self.events.remove(event)
        if event is None:
            raise util.HarnessError(f"no {kind} within {timeout}s: {self.events[-8:]}\n"
                                    f"{util.log_tail(self.stderr_path)}")
        return event

    def stderr_size(self):
        return os.path.getsize(self.stderr_path)

    def trust(self, cert):
        """Put @cert into libpurple's peer cache, as if the user had accepted
        it once.  prpl-jabber checks the certificate against connect_server
        when one is given (127.0.0.1 here), not against the domain."""
        peers = os.path.join(self.user_dir, "certificates", "x509", "tls_peers")
        os.makedirs(peers, exist_ok=True)
        shutil.copy(cert, os.path.join(peers, "127.0.0.1"))

    def login(self, server, jid, resource="polygate", state=None):
        fields = {}
        if state is not None:
            fields["state"] = GLib.Variant("a{ss}", state)
        return self.send("login", account=ACCOUNT, protocol="prpl-jabber",
                         username=f"{jid}/{resource}", password=server.passwords[jid],
                         options={"connect_server": "127.0.0.1", "port": str(server.c2s_port)},
                         **fields)

    def close(self):
        try:
            self.send("shutdown")
        except OSError:
            pass
        rc, _ = util.stop_process(self.proc, 30)
        self.sock.close()
        return rc


@pytest.fixture
def worker(tmp_path):
    w = JabberWorker(str(tmp_path))
    yield w
    rc = w.close()
    assert rc == 0, util.log_tail(w.stderr_path)


def _signed_on(worker, timeout=30):
    state = worker.expect("login-state", lambda e: e["state"] != "connecting", timeout)
    assert state["state"] == "connected", (state, util.log_tail(worker.stderr_path))


def _certificate_prompt(worker):
    """The request the worker sends for prpl-jabber's certificate prompt."""
    request = worker.expect("request", timeout=30)
    assert request["account"] == ACCOUNT
    assert request["type"] == "action"
    assert "certificate" in request["title"].lower(), request
    assert "Accept" in request["choices"] and "Reject" in request["choices"], request
    return request


def test_a_declined_certificate_ends_the_login_with_a_reason_and_a_short_log(legacy, worker):
    """Issue 9: prpl-jabber asks to accept the self-signed certificate; the
    worker declined by picking "View Certificate", which asks again at once,
    ~23,000 times a second, and the login never ended.  Now the user is
    asked; an answer with no choice (what the daemon sends when the user
    says no or does not answer in time) declines."""
    start = time.monotonic()
    worker.login(legacy, f"alice@{LEGACY}")
    request = _certificate_prompt(worker)
    worker.send("answer", account=ACCOUNT, prompt=request["prompt"])
    state = worker.expect("login-state", lambda e: e["state"] == "disconnected", timeout=30)
    assert state["fatal"], state
    assert "certificate" in state["reason"].lower(), state
    assert time.monotonic() - start < 30
    size = worker.stderr_size()
    assert size < LOG_BOUND, f"{size} bytes of log:\n{util.log_tail(worker.stderr_path, 10)}"
    # no prompt goes on looping after the login ended, and none is asked again
    barrier = worker.send("ping")
    worker.expect("pong", lambda e: e.id == barrier)
    assert worker.stderr_size() - size < 4096
    assert not [e for e in worker.events if e.kind == "request"], worker.events


def test_an_accepted_certificate_lets_the_login_through(legacy, worker):
    worker.login(legacy, f"alice@{LEGACY}")
    request = _certificate_prompt(worker)
    worker.send("answer", account=ACCOUNT, prompt=request["prompt"],
                choice=request["choices"].index("Accept"))
    _signed_on(worker)


def test_an_accepted_certificate_is_kept_as_account_state_and_not_asked_again(
        legacy, tmp_path, cert_dir):
    """The user dir goes with the worker: the accepted certificate goes to
    the daemon as account state, and the next worker that gets it back in
    the login does not ask again (issue 9)."""
    first = JabberWorker(str(tmp_path / "first"))
    try:
        first.login(legacy, f"alice@{LEGACY}")
        request = _certificate_prompt(first)
        first.send("answer", account=ACCOUNT, prompt=request["prompt"],
                   choice=request["choices"].index("Accept"))
        state = first.expect("account-state")
        _signed_on(first)
    finally:
        assert first.close() == 0, util.log_tail(first.stderr_path)
    assert state["account"] == ACCOUNT
    assert state["key"] == "tls_peers/127.0.0.1"
    with open(os.path.join(cert_dir, "localhost.crt")) as f:
        assert "".join(state["value"].split()) == "".join(f.read().split())

    second = JabberWorker(str(tmp_path / "second"))
    try:
        second.login(legacy, f"alice@{LEGACY}", state={state["key"]: state["value"]})
        _signed_on(second)
        assert not [e for e in second.events if e.kind == "request"], second.events
        # a path in the key is no item of ours: ignored, nothing written
        second.send("logout", account=ACCOUNT)
        second.expect("login-state", lambda e: e["state"] == "disconnected")
        second.login(legacy, f"alice@{LEGACY}", state={"tls_peers/../../x": "y"})
        _signed_on(second)
        assert not os.path.exists(os.path.join(second.user_dir, "x"))
    finally:
        assert second.close() == 0, util.log_tail(second.stderr_path)


def test_a_prompt_is_answered_once_and_only_by_its_account(legacy, worker):
    worker.login(legacy, f"alice@{LEGACY}")
    request = _certificate_prompt(worker)
    wrong = worker.send("answer", account="mallory@localhost/purple", prompt=request["prompt"],
                        choice=0)
    error = worker.expect("error", lambda e: e.id == wrong)
    assert error["condition"] == "item-not-found"
    bad = worker.send("answer", account=ACCOUNT, prompt=request["prompt"], choice=99)
    assert worker.expect("error", lambda e: e.id == bad)["condition"] == "bad-request"
    worker.send("answer", account=ACCOUNT, prompt=request["prompt"],
                choice=request["choices"].index("Accept"))
    _signed_on(worker)
    # a prompt that is gone (answered, or closed by libpurple) takes no
    # answer, and says nothing: the daemon would take an error during a
    # login for the login's failure
    worker.send("answer", account=ACCOUNT, prompt=request["prompt"], choice=0)
    barrier = worker.send("ping")
    worker.expect("pong", lambda e: e.id == barrier)
    assert not [e for e in worker.events if e.kind == "error"], worker.events


def test_a_prompt_nobody_can_own_is_declined_not_asked(legacy, worker):
    """The certificate prompt names no account: with two accounts logging
    in at once in one worker (users_per_worker > 1), nobody can tell whose
    it is, so no user is asked to trust a server for another."""
    for key, name in ((ACCOUNT, "alice"), ("other@localhost/purple", "bob")):
        jid = f"{name}@{LEGACY}"
        worker.send("login", account=key, protocol="prpl-jabber", username=f"{jid}/polygate",
                    password=legacy.passwords[jid],
                    options={"connect_server": "127.0.0.1", "port": str(legacy.c2s_port)})
    keys = (ACCOUNT, "other@localhost/purple")
    # the first prompt comes while both log in: it is declined, and that
    # account's login ends
    first = worker.expect("login-state", lambda e: e["state"] == "disconnected")
    assert "certificate" in first["reason"].lower(), first
    [other] = [key for key in keys if key != first["account"]]
    # Once one has failed, a prompt can only be the other's: it may then be
    # put to that user (or declined, if it came before the first login had
    # ended).  Either way nobody was asked while both were logging in.
    def settled():
        return [e for e in worker.events if e.kind == "request" or (
            e.kind == "login-state" and e["account"] == other and e["state"] == "disconnected")]
    with worker.cond:
        worker.cond.wait_for(lambda: settled() or worker.closed, 30)
    asked = [e for e in worker.events if e.kind == "request"]
    assert all(e["account"] == other for e in asked), worker.events
    if asked:
        worker.send("answer", account=other, prompt=asked[0]["prompt"], choice=1)  # Reject
    state = worker.expect("login-state",
                          lambda e: e["account"] == other and e["state"] == "disconnected")
    assert "certificate" in state["reason"].lower(), state


def test_a_logout_declines_the_open_prompt(legacy, worker):
    worker.login(legacy, f"alice@{LEGACY}")
    request = _certificate_prompt(worker)
    worker.send("logout", account=ACCOUNT)
    worker.expect("login-state", lambda e: e["state"] == "disconnected")
    barrier = worker.send("ping")
    worker.expect("pong", lambda e: e.id == barrier)
    # the logout declined it: a late answer finds nothing to answer
    worker.send("answer", account=ACCOUNT, prompt=request["prompt"], choice=0)
    barrier = worker.send("ping")
    worker.expect("pong", lambda e: e.id == barrier)
    assert not [e for e in worker.events if e.kind in ("error", "request")], worker.events


def _buddy(server, jid):
    return XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()


def test_messages_go_both_ways_with_a_trusted_certificate(legacy, worker, cert_dir):
    """Issue 9: the outgoing message arrived, the buddy's reply was lost
    ("purple_conversation_get_type: assertion 'conv != NULL' failed")."""
    worker.trust(os.path.join(cert_dir, "localhost.crt"))
    worker.login(legacy, f"alice@{LEGACY}")
    _signed_on(worker)
    bob = _buddy(legacy, f"bob@{LEGACY}")
    try:
        worker.send("send-im", account=ACCOUNT, to=f"bob@{LEGACY}", body="hello <bob> & co")
        got = bob.wait_every_message(
            lambda m: m.find("{jabber:client}body") is not None, what="alice's message")
        assert got.find("{jabber:client}body").text == "hello <bob> & co"
        assert got.get("from").startswith(f"alice@{LEGACY}/")
        bob.send_raw(f"<message to='{got.get('from')}' type='chat'>"
                     "<body>hi alice &amp; &lt;all&gt;</body>"
                     "<active xmlns='http://jabber.org/protocol/chatstates'/></message>")
        im = worker.expect("im-received")
        assert im["body"] == "hi alice & <all>"
        # the buddy, not one of its resources, is the contact
        assert im["from"] == f"bob@{LEGACY}"
        # again: a second reply goes to the conversation the first made
        bob.send_raw(f"<message to='{got.get('from')}' type='chat'><body>two</body></message>")
        assert worker.expect("im-received")["body"] == "two"
    finally:
        bob.disconnect()
    assert "assertion" not in open(worker.stderr_path, errors="replace").read()


CHATSTATES = "http://jabber.org/protocol/chatstates"


@pytest.mark.parametrize("xep_state,purple_state", [
    ("composing", "composing"), ("paused", "paused"), ("active", "active")])
def test_typing_reaches_the_buddy_as_xep_0085_chat_states(legacy, worker, cert_dir, xep_state,
                                                          purple_state):
    """The daemon forwards the XEP-0085 element name; the worker knew only
    "typing", so composing arrived as "not typing" (issue 9)."""
    worker.trust(os.path.join(cert_dir, "localhost.crt"))
    worker.login(legacy, f"alice@{LEGACY}")
    _signed_on(worker)
    bob = _buddy(legacy, f"bob@{LEGACY}")
    try:
        # the buddy's presence reaches the worker as buddy-presence
        presence = worker.expect("buddy-presence", lambda e: e["status"] == "available")
        assert presence["who"] == f"bob@{LEGACY}"
        if xep_state != "composing":
            # paused and active only mean something after composing
            worker.send("typing", account=ACCOUNT, to=bob.full_jid, state="composing")
            bob.wait_every_message(lambda m: m.find(f"{{{CHATSTATES}}}composing") is not None,
                                   what="composing")
        worker.send("typing", account=ACCOUNT, to=bob.full_jid, state=xep_state)
        barrier = worker.send("ping")
        worker.expect("pong", lambda e: e.id == barrier)
        assert not [e for e in worker.events if e.kind == "error"], worker.events
        bob.wait_every_message(lambda m: m.find(f"{{{CHATSTATES}}}{purple_state}") is not None,
                               what=f"<{purple_state}/> from alice")
    finally:
        bob.disconnect()


def test_the_buddy_typing_reaches_the_daemon(legacy, worker, cert_dir):
    worker.trust(os.path.join(cert_dir, "localhost.crt"))
    worker.login(legacy, f"alice@{LEGACY}")
    _signed_on(worker)
    bob = _buddy(legacy, f"bob@{LEGACY}")
    try:
        to = f"alice@{LEGACY}/polygate"
        for state in ("composing", "paused", "active"):
            bob.send_raw(f"<message to='{to}' type='chat'><{state} xmlns='{CHATSTATES}'/>"
                         "</message>")
            event = worker.expect("typing", lambda e: e["state"] == state, timeout=20)
            assert event["from"] == f"bob@{LEGACY}"
    finally:
        bob.disconnect()


# -- a legacy server whose certificate a system CA signed ---------------------------

@pytest.fixture(scope="module")
def ca_signed(tmp_path_factory):
    """A certificate for *.localhost and 127.0.0.1 that a test CA signed,
    the CA listed as a system CA (harness/util.py); yields the cert dir."""
    if os.geteuid() != 0 or not os.path.isdir(util.SYSTEM_CERTS):
        pytest.skip("listing a system CA needs root and /etc/ssl/certs")
    directory = str(tmp_path_factory.mktemp("ca-signed"))
    with util.listed_system_ca(util.ca_signed_cert(directory)):
        yield directory


def test_a_certificate_a_system_ca_signed_is_trusted_without_a_question(tmp_path, ca_signed):
    """libpurple's CA pool still sees the system CAs in the sandbox, which
    lets it read /etc/ssl/certs' symlinked *.pem but not the bundle
    (backends/purple/pg-purple-sandbox.c): the login needs no question.
    (The self-signed case, asked and refused, is the test above.)"""
    server = legacy_prosody(str(tmp_path / "prosody"), ca_signed, ("carol",),
                            components=("unused.localhost",))
    server.start()
    worker = JabberWorker(str(tmp_path / "worker"))
    try:
        worker.login(server, f"carol@{LEGACY}")
        _signed_on(worker)
        assert not [e for e in worker.events if e.kind == "request"], worker.events
    finally:
        rc = worker.close()
        server.stop()
    assert rc == 0, util.log_tail(worker.stderr_path)
