"""A raw-socket IRC client for tests: the "other side" of the gateway.

One socket, one reader thread that parses every line into an IrcLine and
answers PING; tests wait for lines with a deadline:

    bob = IrcClient(ngircd.port, "bob").connect()
    bob.join("#test")
    line = bob.wait_for(lambda l: l.command == "PRIVMSG" and l.text == "hi", 10,
                        "alice's hello")

Like the XMPP client, received lines carry a "consumed" flag: wait_for()
consumes the line it returns, so two waits for the same predicate need two
lines (that is how tests check "exactly once").  Text is decoded as UTF-8,
falling back to latin-1 per line (what a tolerant IRC client does); the raw
bytes are kept too.
"""

import socket
import threading
import time

from . import util


class IrcLine:
    """One parsed line: prefix, nick (from the prefix), command (upper case,
    numerics as 3-digit strings), params (the trailing one included)."""

    __slots__ = ("raw", "line", "prefix", "nick", "command", "params")

    def __init__(self, raw):
        self.raw = raw
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("latin-1")
        self.line = line
        self.prefix = None
        rest = line
        if rest.startswith(":"):
            self.prefix, _, rest = rest[1:].partition(" ")
        self.nick = self.prefix.split("!", 1)[0] if self.prefix else None
        params = []
        while rest:
            if rest.startswith(":"):
                params.append(rest[1:])
                break
            word, _, rest = rest.partition(" ")
            if word:
                params.append(word)
            rest = rest.lstrip(" ")
        self.command = params.pop(0).upper() if params else ""
        self.params = params

    @property
    def text(self):
        """The last parameter (a PRIVMSG's text, a PART's reason ...)."""
        return self.params[-1] if self.params else ""

    @property
    def target(self):
        return self.params[0] if self.params else ""

    def is_(self, command, nick=None, target=None, text=None):
        if self.command != command:
            return False
        if nick is not None and (self.nick or "").lower() != nick.lower():
            return False
        if target is not None and self.target.lower() != target.lower():
            return False
        if text is not None and self.text != text:
            return False
        return True

    def __repr__(self):
        return f"<IrcLine {self.line!r}>"


class IrcClient:
    def __init__(self, port, nick, host="127.0.0.1", password=None, realname=None):
        self.address = (host, port)
        self.nick = nick
        self.password = password
        self.realname = realname or f"test client {nick}"
        self.sock = None
        self._cond = threading.Condition()
        # the reader thread answers PINGs while the test sends: one writer
        # at a time, so a PONG never lands inside a long burst
        self._send_lock = threading.Lock()
        self._lines = []  # [consumed, IrcLine]
        self._closed = False
        self._reader = None

    # -- connection --------------------------------------------------------
    def connect(self, timeout=20):
        self.sock = socket.create_connection(self.address, timeout=timeout)
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_loop, name=f"irc-{self.nick}",
                                        daemon=True)
        self._reader.start()
        if self.password is not None:
            self.send(f"PASS {self.password}")
        self.send(f"NICK {self.nick}")
        self.send(f"USER {self.nick} 0 * :{self.realname}")
        self.wait_for(lambda l: l.command == "001", timeout, f"001 welcome for {self.nick}")
        return self

    def close(self):
        self._closed = True
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        if self._reader is not None:
            self._reader.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_loop(self):
        buffer = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            buffer += data
            *complete, buffer = buffer.split(b"\n")
            parsed = [IrcLine(raw.rstrip(b"\r")) for raw in complete if raw.strip()]
            for line in parsed:
                if line.command == "PING":
                    try:
                        self.send(f"PONG :{line.text}")
                    except OSError:
                        pass  # closing: the next recv() reports it
            with self._cond:
                self._lines.extend([False, line] for line in parsed)
                self._cond.notify_all()

    @property
    def connected(self):
        return not self._closed

    # -- sending -----------------------------------------------------------
    def send(self, line):
        """Send one line (str, or bytes sent as they are); CRLF is added."""
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        with self._send_lock:
            self.sock.sendall(data + b"\r\n")

    def send_many(self, lines):
        """Several lines in one write (a burst)."""
        data = b"".join((l if isinstance(l, bytes) else l.encode("utf-8")) + b"\r\n"
                        for l in lines)
        with self._send_lock:
            self.sock.sendall(data)

    def privmsg(self, target, text):
        if isinstance(text, bytes):
            self.send(b"PRIVMSG " + target.encode() + b" :" + text)
        else:
            self.send(f"PRIVMSG {target} :{text}")

    def join(self, channel, timeout=10):
        """JOIN and wait for the server's end of NAMES (366)."""
        self.send(f"JOIN {channel}")
        end = self.wait_for(lambda l: l.command == "366" and len(l.params) > 1
                            and l.params[1].lower() == channel.lower(),
                            timeout, f"{self.nick} to join {channel}")
        self.mark_seen(upto=end)

    def part(self, channel, reason="bye"):
        self.send(f"PART {channel} :{reason}")

    def kick(self, channel, nick, reason="out"):
        self.send(f"KICK {channel} {nick} :{reason}")

    def topic(self, channel, text):
        self.send(f"TOPIC {channel} :{text}")

    def change_nick(self, new_nick, timeout=10):
        old = self.nick
        self.send(f"NICK {new_nick}")
        self.wait_for(lambda l: l.is_("NICK", nick=old) and l.text.lower() == new_nick.lower(),
                      timeout, f"{old} to become {new_nick}")
        self.nick = new_nick

    def quit(self, reason="bye"):
        try:
            self.send(f"QUIT :{reason}")
        except OSError:
            pass

    def whois(self, nick, timeout=10):
        """WHOIS nick; every reply line of this WHOIS, as a list.

        A server answers an unknown nick with 401 *and* 318, so "the first
        401 or 318" can leave the 318 behind to be taken for the end of the
        next WHOIS (whose replies were then read before they came).  The end
        here is a PING fence: the server answers in order, so every reply to
        this WHOIS comes before the PONG carrying this call's own token."""
        self._fences = getattr(self, "_fences", 0) + 1
        token = f"whois-{self._fences}"
        with self._cond:
            start = len(self._lines)
        self.send(f"WHOIS {nick}")
        self.send(f"PING :{token}")
        fence = self.wait_for(lambda l: l.command == "PONG" and l.text == token, timeout,
                              f"the end of WHOIS {nick}")
        with self._cond:
            replies = []
            for entry in self._lines[start:]:
                line = entry[1]
                if line is fence:
                    break
                if line.command.isdigit() and len(line.params) > 1 \
                        and line.params[1].lower() == nick.lower():
                    entry[0] = True
                    replies.append(line)
        return replies

    # -- receiving ---------------------------------------------------------
    def wait_for(self, predicate, timeout, what, log_paths=()):
        """Wait for a not yet consumed line matching predicate; consume and
        return it.  On timeout fail with the last lines and the log tails."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for entry in self._lines:
                    if not entry[0] and predicate(entry[1]):
                        entry[0] = True
                        return entry[1]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    break
                self._cond.wait(remaining)
            last = "\n".join(l.line for _, l in self._lines[-15:]) or "(none)"
        tails = "".join(f"\n--- {path}:\n{util.log_tail(path, 30)}" for path in log_paths)
        state = "connection closed" if self._closed else f"within {timeout}s"
        raise util.HarnessError(
            f"IRC {self.nick}: no line for {what} ({state}); last lines:\n{last}{tails}")

    def wait_for_privmsg(self, text, sender=None, target=None, timeout=10, log_paths=()):
        return self.wait_for(lambda l: l.is_("PRIVMSG", nick=sender, target=target, text=text),
                             timeout, f"PRIVMSG {text!r} from {sender} to {target}",
                             log_paths)

    def lines(self, predicate=lambda l: True):
        """Every line received so far (consumed or not) matching predicate."""
        with self._cond:
            return [line for _, line in self._lines if predicate(line)]

    def mark_seen(self, upto=None):
        """Mark every line received so far (or up to the line upto) consumed."""
        with self._cond:
            for entry in self._lines:
                entry[0] = True
                if entry[1] is upto:
                    break
