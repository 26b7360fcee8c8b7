"""A real Kannel 1.4.5 (bearerbox + smsbox) on 127.0.0.1 with a fake SMSC.

The config: generated in its own dir, every listener on
127.0.0.1 (admin-interface, our-host, sendsms-interface), free ports, no
global-sender (it would replace %P in get-url).  bearerbox's `smsc = fake`
LISTENS on `port`; the fake SMSC is a client that connects to it.  FakeSmsc
below is that client, written as a Python socket speaking the fake-SMSC line
protocol directly (Kannel's own fakesmsc lags one line behind on stdin).

Line protocol (gw/smsc/smsc_fake.c), one message per line, both ways:
    SENDER RECEIVER text LITERAL            7-bit text, not escaped
    SENDER RECEIVER ucs-2 URLENCODED        MT with coding=2 (UCS-2BE)
    SENDER RECEIVER data URLENCODED         8-bit
    SENDER RECEIVER udh URLENCODED data URLENCODED   concatenated MT parts
MO (towards Kannel) uses `text`, `data` or `ucs2`.

Readiness without sleeps: the admin status page (status.txt) answers for
bearerbox, lists the smsbox once it is connected, and shows the fake SMSC
"online" while our client is connected; sendsms accepts TCP.
"""

import http.server
import os
import queue
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request

from . import util

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
SMSC_ID = "fake"


def available():
    return os.access(BEARERBOX, os.X_OK) and os.access(SMSBOX, os.X_OK)


class Kannel:
    """bearerbox + smsbox from a generated kannel.conf.

    sendsms_user/sendsms_password: the sendsms-user group; max_messages and
    concatenation: its splitting of long texts.  get_url: optional sms-service
    callback for MO messages, with Kannel's escapes (e.g. from=%p&to=%P&text=%a)."""

    def __init__(self, directory, max_messages=10, concatenation=True, get_url=None):
        self.dir = os.path.abspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.admin_port = util.free_port()
        self.smsbox_port = util.free_port()
        self.fake_port = util.free_port()
        self.sendsms_port = util.free_port()
        self.admin_password = util.secret()
        self.sendsms_user = "polygate"
        self.sendsms_password = util.secret()
        self.max_messages = max_messages
        self.concatenation = concatenation
        self.get_url = get_url
        self.config_path = os.path.join(self.dir, "kannel.conf")
        self.bearerbox_log = os.path.join(self.dir, "bearerbox.log")
        self.smsbox_log = os.path.join(self.dir, "smsbox.log")
        self.bearerbox = None
        self.smsbox = None
        self._write_config()

    @property
    def sendsms_url(self):
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def _write_config(self):
        groups = [
            ["group = core",
             f"admin-port = {self.admin_port}",
             'admin-interface = "127.0.0.1"',
             f"admin-password = {self.admin_password}",
             'admin-allow-ip = "127.0.0.1"',
             f"smsbox-port = {self.smsbox_port}",
             'smsbox-interface = "127.0.0.1"',
             'box-allow-ip = "127.0.0.1"',
             "dlr-storage = internal"],
            ["group = smsc",
             "smsc = fake",
             f"smsc-id = {SMSC_ID}",
             "host = 127.0.0.1",
             "our-host = 127.0.0.1",
             f"port = {self.fake_port}",
             'connect-allow-ip = "127.0.0.1"'],
            ["group = smsbox",
             "bearerbox-host = 127.0.0.1",
             f"bearerbox-port = {self.smsbox_port}",
             f"sendsms-port = {self.sendsms_port}",
             'sendsms-interface = "127.0.0.1"'],
            ["group = sendsms-user",
             f"username = {self.sendsms_user}",
             f"password = {self.sendsms_password}",
             f"max-messages = {self.max_messages}",
             f"concatenation = {'true' if self.concatenation else 'false'}"],
        ]
        if self.get_url is not None:
            groups.append(["group = sms-service",
                           "keyword = default",
                           "catch-all = true",
                           "max-messages = 0",
                           f'get-url = "{self.get_url}"'])
        with open(self.config_path, "w") as f:
            f.write("\n\n".join("\n".join(g) for g in groups) + "\n")
        os.chmod(self.config_path, 0o600)

    def status(self):
        """The admin status page as text, or None while bearerbox is not up."""
        url = (f"http://127.0.0.1:{self.admin_port}/status.txt?"
               + urllib.parse.urlencode({"password": self.admin_password}))
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return reply.read().decode("utf-8", "replace")
        except OSError:
            return None

    def start(self, timeout=30):
        with open(self.bearerbox_log, "ab") as log:
            self.bearerbox = subprocess.Popen(
                [BEARERBOX, "-v", "1", self.config_path], cwd=self.dir,
                stdout=log, stderr=subprocess.STDOUT)
        util.wait_for(lambda: self.status() is not None, timeout, "bearerbox status page",
                      self.bearerbox_log, alive=lambda: self.bearerbox.poll() is None)
        return self.start_smsbox(timeout)

    def start_smsbox(self, timeout=30):
        """(Re)start smsbox alone, bearerbox running; returns when sendsms listens."""
        with open(self.smsbox_log, "ab") as log:
            self.smsbox = subprocess.Popen(
                [SMSBOX, "-v", "1", self.config_path], cwd=self.dir,
                stdout=log, stderr=subprocess.STDOUT)
        util.wait_for(lambda: "smsbox:" in (self.status() or "")
                      and util.port_open("127.0.0.1", self.sendsms_port),
                      timeout, "smsbox connected and sendsms listening", self.smsbox_log,
                      alive=lambda: self.smsbox.poll() is None)
        return self

    def stop_smsbox(self, timeout=20):
        """Stop smsbox alone (sendsms then refuses connections); bearerbox and the
        SMSC link stay up.  Returns util.stop_process()'s (code, killed)."""
        result = util.stop_process(self.smsbox, timeout=timeout)
        self.smsbox = None
        util.wait_for(lambda: not util.port_open("127.0.0.1", self.sendsms_port),
                      timeout, "sendsms port closed", self.smsbox_log)
        return result

    def smsc_online(self):
        """Whether bearerbox's status page shows the fake SMSC link online."""
        return f"FAKE:{self.fake_port} (online" in (self.status() or "")

    def wait_smsc_online(self, timeout=20):
        util.wait_for(self.smsc_online, timeout, "fake SMSC online in bearerbox",
                      self.bearerbox_log, alive=lambda: self.bearerbox.poll() is None)

    def stop(self):
        """smsbox first (it holds the link to bearerbox), each TERM, bounded wait, KILL."""
        results = {}
        for name in ("smsbox", "bearerbox"):
            proc = getattr(self, name)
            if proc is not None:
                results[name] = util.stop_process(proc, timeout=20)
                setattr(self, name, None)
        return results


class SmsMessage:
    """One MT message as the fake SMSC got it; concatenated parts joined."""

    def __init__(self, sender, receiver, kind, text, parts=1):
        self.sender = sender
        self.receiver = receiver
        self.kind = kind      # "text", "ucs-2" or "data"
        self.text = text      # decoded str
        self.parts = parts

    def __repr__(self):
        return (f"SmsMessage({self.sender!r} -> {self.receiver!r}, {self.kind}, "
                f"{self.parts} part(s), {self.text!r})")


def _unquote(data):
    """Kannel's octstr_url_encode(): %XX escapes, and "+" for a space byte."""
    return urllib.parse.unquote_to_bytes(data.decode("ascii").replace("+", " "))


def _decode(kind, payload):
    if kind == "ucs-2":
        return payload.decode("utf-16-be")
    return payload.decode("utf-8")


class FakeSmsc:
    """The fake-SMSC client: connects to bearerbox's fake port, collects MT
    messages (joining concatenated parts by their UDH), sends MO lines."""

    def __init__(self, kannel, ucs2_parts=False):
        self.kannel = kannel
        self.sock = None
        self.messages = queue.Queue()
        self.lines = []           # every raw line, for failure messages
        self._partial = {}        # (sender, receiver, ref) -> {seq: bytes}
        self._thread = None
        # UDH parts carry no coding; the test says how to decode them
        self.ucs2_parts = ucs2_parts

    def connect(self, timeout=30):
        deadline = time.monotonic() + timeout
        self.sock = util.wait_for(
            lambda: self._try_connect(), timeout, "fake SMSC port accepting",
            self.kannel.bearerbox_log)
        self._thread = threading.Thread(target=self._read_loop, daemon=True)
        self._thread.start()
        self.kannel.wait_smsc_online(max(1.0, deadline - time.monotonic()))
        return self

    def _try_connect(self):
        try:
            return socket.create_connection(("127.0.0.1", self.kannel.fake_port), timeout=2)
        except OSError:
            return None

    def _read_loop(self):
        buffer = b""
        self.sock.settimeout(None)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                self._handle(line)

    def _handle(self, line):
        self.lines.append(line)
        words = line.split(b" ", 3)
        if len(words) < 4:
            return
        sender, receiver, kind = (w.decode() for w in words[:3])
        rest = words[3]
        if kind == "text":
            self.messages.put(SmsMessage(sender, receiver, kind, rest.decode("utf-8")))
        elif kind in ("ucs-2", "data"):
            payload = _unquote(rest)
            self.messages.put(SmsMessage(sender, receiver, kind, _decode(kind, payload)))
        elif kind == "udh":
            udh_text, _, data = rest.partition(b" data ")
            udh = _unquote(udh_text)
            payload = _unquote(data)
            # 3GPP TS 23.040 9.2.3.24.1: UDHL, IEI 00, IEDL 3, ref, total, seq
            if len(udh) >= 6 and udh[1] == 0x00 and udh[2] == 3:
                ref, total, seq = udh[3], udh[4], udh[5]
                key = (sender, receiver, ref)
                parts = self._partial.setdefault(key, {})
                parts[seq] = payload
                if len(parts) == total:
                    del self._partial[key]
                    whole = b"".join(parts[i] for i in range(1, total + 1))
                    kind = "ucs-2" if self.ucs2_parts else "text"
                    self.messages.put(SmsMessage(sender, receiver, kind,
                                                 _decode(kind, whole), parts=total))

    def wait_message(self, timeout=30):
        """The next complete MT message, or fail at the deadline."""
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise util.HarnessError(
                f"no MT message at the fake SMSC within {timeout}s; lines so far: "
                f"{self.lines[-5:]}; bearerbox log:\n"
                f"{util.log_tail(self.kannel.bearerbox_log)}") from None

    def send_mo(self, sender, receiver, text):
        self.sock.sendall(f"{sender} {receiver} text {text}\n".encode("utf-8"))

    def close(self, timeout=20):
        """Close the link and wait until bearerbox has seen it go.

        bearerbox serves one fake-SMSC client at a time and notices a close
        in its own time: until then its status page still says "online",
        and a FakeSmsc connecting meanwhile (the next test's) would take
        that for its own link, while bearerbox may still write the next MT
        message into the dead one."""
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None
            bearerbox = self.kannel.bearerbox
            if bearerbox is not None and bearerbox.poll() is None:
                util.wait_for(lambda: not self.kannel.smsc_online(), timeout,
                              "bearerbox to see the fake SMSC disconnect",
                              self.kannel.bearerbox_log)
        if self._thread is not None:
            self._thread.join(timeout=5)


class HttpSink:
    """A tiny HTTP server on 127.0.0.1 that records every GET (path + query)
    and answers 200: Kannel's dlr-url and get-url land here."""

    def __init__(self):
        self.requests = []
        self._cond = threading.Condition()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                with sink._cond:
                    sink.requests.append((url.path, query))
                    sink._cond.notify_all()
                body = b"ok"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, predicate, timeout, what):
        """The first recorded (path, query) matching predicate; fail at the deadline."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for request in self.requests:
                    if predicate(*request):
                        return request
                left = deadline - time.monotonic()
                if left <= 0:
                    raise util.HarnessError(
                        f"timed out after {timeout}s waiting for {what}; got {self.requests}")
                self._cond.wait(left)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
