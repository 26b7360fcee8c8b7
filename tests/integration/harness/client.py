"""A synchronous-feeling XMPP client for tests, on top of slixmpp.

All clients share one asyncio loop running in a daemon thread; each public
method submits a coroutine to it and waits for the result with a deadline.
Tests therefore read as plain calls:

    reply = alice.iq_get("irc.localhost", "<query xmlns='jabber:iq:register'/>")
    alice.wait_for_presence("irc.localhost", "subscribe")

Replies and received stanzas are xml.etree elements in the jabber:client
namespace (tags like '{jabber:client}iq').  The client answers no subscription
request by itself (auto_authorize = None): tests decide.
"""

import asyncio
import atexit
import copy
import threading
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from . import util

NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


class _LoopThread:
    _instance = None
    _lock = threading.Lock()

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="slixmpp-loop",
                                       daemon=True)
        self.thread.start()
        atexit.register(self.close)

    def close(self):
        """Cancel what slixmpp left running (its filter tasks) and stop the
        loop, so interpreter exit prints no 'Task was destroyed' noise."""
        async def cancel_all():
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(5)
            except Exception:
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def run(self, coro, timeout):
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise


def bare(jid):
    return jid.split("/", 1)[0]


def error_condition(stanza):
    """(type, condition) of a stanza error, or None if the stanza has no <error/>."""
    error = stanza.find(f"{{{NS_CLIENT}}}error")
    if error is None:
        return None
    for child in error:
        if child.tag.startswith(f"{{{NS_STANZAS}}}") and not child.tag.endswith("}text"):
            return error.get("type"), child.tag.split("}", 1)[1]
    return error.get("type"), None


def to_string(element):
    return ET.tostring(element, encoding="unicode")


class XmppClient:
    def __init__(self, jid, password, host="127.0.0.1", port=5222, features=()):
        """features: disco#info features this client advertises (XEP-0030),
        e.g. XEP-0144's; with none it answers disco#info with an error."""
        self.features = tuple(features)
        self.jid = jid
        self.password = password
        self.address = (host, port)
        self.xmpp = None
        self._loop = _LoopThread.get()
        self._cond = threading.Condition()
        self._presences = []  # (consumed flag list, element)
        self._messages = []
        # every <message/> of every stream of this client, body or not, in
        # arrival order; kept across reconnect() (slixmpp's "message" event
        # fires only for messages with a body)
        self.every_message = []
        self.full_jid = None

    # -- connection --------------------------------------------------------
    def connect(self, timeout=30):
        self._loop.run(self._connect(timeout), timeout + 5)
        return self

    async def _connect(self, timeout):
        xmpp = slixmpp.ClientXMPP(self.jid, self.password)
        if self.features:
            xmpp.register_plugin("xep_0030")
        xmpp.auto_authorize = None
        xmpp.auto_subscribe = False
        started = asyncio.get_running_loop().create_future()

        async def session_start(_event):
            # Fetch the roster so Prosody counts this resource as "interested"
            # (it delivers inbound subscribed/unsubscribe(d) only to those), and
            # send initial presence (inbound presence goes to available
            # resources only).  Features are the bound full JID's (slixmpp
            # keys them by JID), so they are added once it is bound.
            for feature in self.features:
                xmpp["xep_0030"].add_feature(feature, jid=xmpp.boundjid.full)
            await xmpp.get_roster(timeout=timeout)
            xmpp.send_presence()
            if not started.done():
                started.set_result(True)

        def failed(event):
            if not started.done():
                started.set_exception(util.HarnessError(f"{self.jid}: login failed: {event}"))

        xmpp.add_event_handler("session_start", session_start)
        xmpp.add_event_handler("failed_auth", failed)
        xmpp.add_event_handler("connection_failed", failed)
        xmpp.add_event_handler("presence", self._on_presence)
        xmpp.add_event_handler("message", self._on_message)
        # registered before the stream opens: offline messages that come
        # right after the initial presence are caught too
        xmpp.register_handler(Callback("harness every message",
                                       MatchXPath(f"{{{NS_CLIENT}}}message"),
                                       self._on_any_message))
        self.xmpp = xmpp
        xmpp.connect(self.address, force_starttls=False, disable_starttls=True)
        await asyncio.wait_for(started, timeout)
        self.full_jid = str(xmpp.boundjid)

    def disconnect(self, timeout=5):
        if self.xmpp is None:
            return
        xmpp, self.xmpp = self.xmpp, None

        async def _disconnect():
            # Never wait for a stream that is already gone (e.g. Prosody was
            # restarted): disconnect() then resolves at once.
            try:
                await asyncio.wait_for(xmpp.disconnect(wait=1.0), timeout)
            except asyncio.TimeoutError:
                xmpp.abort()

        try:
            self._loop.run(_disconnect(), timeout + 2)
        except Exception:  # teardown must not hide the test's own failure
            pass

    def reconnect(self, timeout=30):
        """A new stream for the same account (after a server restart); what
        was received before is kept, marked as seen."""
        self.disconnect()
        self.consume_presences()
        return self.connect(timeout)

    # -- IQ ----------------------------------------------------------------
    def iq(self, itype, to, payload=None, timeout=20):
        """Send an IQ with payload (XML text or element); return the reply <iq/>,
        whether result or error.  A missing reply fails the test."""
        return self._loop.run(self._iq(itype, to, payload, timeout), timeout + 5)

    def iq_get(self, to, payload=None, timeout=20):
        return self.iq("get", to, payload, timeout)

    def iq_set(self, to, payload=None, timeout=20):
        return self.iq("set", to, payload, timeout)

    async def _iq(self, itype, to, payload, timeout):
        iq = self.xmpp.Iq()
        iq["to"] = to
        iq["type"] = itype
        if payload is not None:
            element = ET.fromstring(payload) if isinstance(payload, str) else payload
            iq.append(element)
        try:
            reply = await iq.send(timeout=timeout)
        except IqError as e:
            reply = e.iq
        except IqTimeout:
            raise util.HarnessError(
                f"no reply within {timeout}s to {itype} IQ to {to}: {to_string(iq.xml)}")
        return copy.deepcopy(reply.xml)

    # -- presence and messages ---------------------------------------------
    def send_presence(self, to=None, ptype=None):
        def _send():
            self.xmpp.send_presence(pto=to, ptype=ptype)
        self._loop.loop.call_soon_threadsafe(_send)

    def send_raw(self, xml_text):
        self._loop.loop.call_soon_threadsafe(self.xmpp.send_raw, xml_text)

    def _on_presence(self, presence):
        with self._cond:
            self._presences.append([False, copy.deepcopy(presence.xml)])
            self._cond.notify_all()

    def _on_message(self, message):
        with self._cond:
            self._messages.append([False, copy.deepcopy(message.xml)])
            self._cond.notify_all()

    def _on_any_message(self, message):
        with self._cond:
            self.every_message.append(copy.deepcopy(message.xml))
            self._cond.notify_all()

    def wait_every_message(self, predicate, timeout=20, what="a message"):
        """The first message in every_message that matches (consumed or not,
        any stream of this client); fails the test after timeout."""
        with self._cond:
            found = self._cond.wait_for(
                lambda: [m for m in self.every_message if predicate(m)], timeout)
            if not found:
                seen = "\n".join(to_string(e) for e in self.every_message[-10:]) or "(none)"
                raise util.HarnessError(f"{self.jid}: no {what} within {timeout}s; "
                                        f"last messages:\n{seen}")
            return found[0]

    @staticmethod
    def _presence_type(element):
        return element.get("type") or "available"

    def _match(self, element, from_, ptype):
        if from_ is not None:
            sender = element.get("from") or ""
            if sender != from_ and bare(sender) != from_:
                return False
        if ptype is not None and self._presence_type(element) != ptype:
            return False
        return True

    def wait_for_presence(self, from_=None, ptype=None, timeout=20):
        """Wait for a not yet consumed presence from from_ (bare or full JID)
        of type ptype ('available', 'subscribe', ...); consume and return it."""
        with self._cond:
            def find():
                for entry in self._presences:
                    if not entry[0] and self._match(entry[1], from_, ptype):
                        entry[0] = True
                        return entry  # not the element: an empty Element is falsy
                return None
            found = self._cond.wait_for(find, timeout)
            if not found:
                seen = "\n".join(to_string(e) for _, e in self._presences[-10:]) or "(none)"
                raise util.HarnessError(
                    f"{self.jid}: no presence type={ptype or 'any'} from {from_} within "
                    f"{timeout}s; last presences received:\n{seen}")
            return found[1]

    def presences(self, from_=None, ptype=None):
        """Every presence received so far (consumed or not) matching the filter."""
        with self._cond:
            return [e for _, e in self._presences if self._match(e, from_, ptype)]

    def unconsumed_presences(self, from_=None, ptype=None):
        """The presences matching the filter that no wait consumed yet."""
        with self._cond:
            return [e for seen, e in self._presences
                    if not seen and self._match(e, from_, ptype)]

    def consume_presences(self):
        """Mark everything received so far as seen (start a fresh expectation)."""
        with self._cond:
            for entry in self._presences:
                entry[0] = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.disconnect()


def befriend(server, one, other):
    """A mutual presence subscription (RFC 6121 §3) between two accounts of
    @server, kept in its rosters: prpl-jabber takes presence only from roster
    contacts, and sends chat states only to a contact it has presence from."""
    a = XmppClient(one, server.passwords[one], port=server.c2s_port).connect()
    b = XmppClient(other, server.passwords[other], port=server.c2s_port).connect()
    try:
        for x, y in ((a, b), (b, a)):
            x.send_presence(to=y.jid, ptype="subscribe")
            y.wait_for_presence(from_=x.jid, ptype="subscribe")
            y.send_presence(to=x.jid, ptype="subscribed")
            x.wait_for_presence(from_=y.jid, ptype="subscribed")
    finally:
        a.disconnect()
        b.disconnect()
