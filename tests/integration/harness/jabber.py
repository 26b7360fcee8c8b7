"""XMPP as the "legacy network" (issue 9): a `purple` transport running
prpl-jabber against a second Prosody VirtualHost, legacy.localhost.

What test_jabber_*.py and test_ejabberd_roster_ladder.py share: the
legacy server, the gateway in front of it, registering and logging in
(the legacy network asks the user to accept its self-signed certificate,
answered with XEP-0050), and the transport's roster command.
"""

import contextlib
import os

import pytest

from .client import XmppClient, befriend, error_condition, to_string
from .polygate import Polygate
from .prosody import DOMAIN, Prosody
from .xep import register_form

LEGACY = "legacy.localhost"
GATEWAY = "xmpp.localhost"
CHECKER = f"harness@{DOMAIN}"
NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
NS_ROSTER = "jabber:iq:roster"
TRANSPORT = {"name": "xmpp", "jid": GATEWAY, "type": "purple",
             "display": "XMPP gateway", "purple_protocol": "prpl-jabber"}


def contact(jid):
    """The transport JID of legacy contact @jid (XEP-0106: '@' is \\40)."""
    return jid.replace("@", "\\40") + "@" + GATEWAY


@pytest.fixture(scope="module")
def no_leak_check_for_prpl_jabber():
    """A prpl-jabber worker leaves GStreamer threads that LeakSanitizer
    cannot suspend at exit (see test_purple_forms.py): the module's daemon
    runs without leak detection, every other one with it."""
    old = os.environ.get("ASAN_OPTIONS")
    os.environ["ASAN_OPTIONS"] = ((old + ":") if old else "") + "detect_leaks=0"
    yield
    if old is None:
        del os.environ["ASAN_OPTIONS"]
    else:
        os.environ["ASAN_OPTIONS"] = old


def legacy_prosody(directory, cert_dir, users, components=(GATEWAY,), vhost_lines=(),
                   **kwargs):
    """A Prosody (not started) serving localhost and LEGACY (STARTTLS with
    the run's self-signed certificate, which covers *.localhost), with
    @users created on LEGACY; @vhost_lines go under LEGACY's VirtualHost,
    @kwargs to Prosody."""
    server = Prosody(str(directory), cert_dir, components=components,
                     extra_lines=[f'VirtualHost "{LEGACY}"', *vhost_lines], **kwargs)
    for name in users:
        server.create_user(name, LEGACY)
    return server


def gateway_prosody(directory, cert_dir, users, friends=(), **kwargs):
    """legacy_prosody() with the gateway's component and the checker's
    account on localhost, started, each pair of @friends (localparts on
    LEGACY) subscribed to each other."""
    server = legacy_prosody(directory, cert_dir, users, **kwargs)
    server.create_user(CHECKER.split("@")[0])
    server.start()
    for one, other in friends:
        befriend(server, f"{one}@{LEGACY}", f"{other}@{LEGACY}")
    return server


@contextlib.contextmanager
def serving(server, polygate_binary, directory, **kwargs):
    """Polygate with the prpl-jabber transport on the running @server;
    yields (server, daemon, checker) and stops all three, @server last."""
    checker = XmppClient(CHECKER, server.passwords[CHECKER], port=server.c2s_port).connect()
    daemon = Polygate(polygate_binary, str(directory), server, transports=[TRANSPORT], **kwargs)
    try:
        daemon.start(checker, timeout=60)
        yield server, daemon, checker
    finally:
        checker.disconnect()
        try:
            daemon.stop()
        finally:
            server.stop()


def set_roster_item(server, owner, item):
    """Put @item (a <item/> of jabber:iq:roster) into @owner's roster on
    @server, as the owner's own client does (RFC 6121 §2.3)."""
    client = XmppClient(owner, server.passwords[owner], port=server.c2s_port).connect()
    try:
        reply = client.iq_set(owner, f"<query xmlns='{NS_ROSTER}'>{item}</query>")
        assert reply.get("type") == "result", to_string(reply)
    finally:
        client.disconnect()


def register(user, legacy, username):
    """XEP-0077 through the transport's form: @username on LEGACY of the
    Prosody @legacy, reached at 127.0.0.1."""
    reply = user.iq_set(GATEWAY, register_form({
        "username": username, "split.domain": LEGACY,
        "password": legacy.passwords[f"{username}@{LEGACY}"],
        "option.connect_server": "127.0.0.1", "option.port": str(legacy.c2s_port)}))
    assert reply.get("type") == "result", to_string(reply)


def question(user, start):
    """The first question from the transport itself after message @start."""
    def is_question(m):
        body = m.find("{jabber:client}body")
        return (m.get("from") == GATEWAY and body is not None
                and body.text.startswith("Question from the legacy network"))
    return user.wait_every_message(lambda m: m in user.every_message[start:] and is_question(m),
                                   timeout=60, what="the certificate question")


def answer_by_adhoc(user, label):
    """XEP-0050: run answer-question, pick @label, submit."""
    reply = user.iq_set(GATEWAY, f"<command xmlns='{NS_COMMANDS}' node='answer-question' "
                                 "action='execute'/>")
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command is not None and command.get("status") == "executing", to_string(reply)
    form = command.find(f"{{{NS_DATA}}}x")
    fields = {f.get("var"): f for f in form.findall(f"{{{NS_DATA}}}field")}
    asked = fields["question"].find(f"{{{NS_DATA}}}value").text
    options = {o.get("label"): o.find(f"{{{NS_DATA}}}value").text
               for o in fields["answer"].findall(f"{{{NS_DATA}}}option")}
    assert label in options, options
    submit = (f"<command xmlns='{NS_COMMANDS}' node='answer-question' "
              f"sessionid='{command.get('sessionid')}' action='complete'>"
              f"<x xmlns='{NS_DATA}' type='submit'>"
              f"<field var='question'><value>{asked}</value></field>"
              f"<field var='answer'><value>{options[label]}</value></field></x></command>")
    done = user.iq_set(GATEWAY, submit).find(f"{{{NS_COMMANDS}}}command")
    assert done is not None and done.get("status") == "completed"


def register_and_log_in(user, legacy, username):
    """register(), then log in and accept the legacy server's certificate
    when the transport asks."""
    register(user, legacy, username)
    start = len(user.every_message)
    user.send_presence(to=GATEWAY)
    question(user, start)
    answer_by_adhoc(user, "Accept")


def roster_command(user, resync=False):
    """XEP-0050: run the transport's roster command; returns (mode, note)."""
    reply = user.iq_set(GATEWAY, f"<command xmlns='{NS_COMMANDS}' node='roster' "
                                 "action='execute'/>")
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command is not None and command.get("status") == "executing", to_string(reply)
    fields = {f.get("var"): f for f in
              command.find(f"{{{NS_DATA}}}x").findall(f"{{{NS_DATA}}}field")}
    mode = fields["mode"].findtext(f"{{{NS_DATA}}}value")
    submit = (f"<command xmlns='{NS_COMMANDS}' node='roster' "
              f"sessionid='{command.get('sessionid')}' action='complete'>"
              f"<x xmlns='{NS_DATA}' type='submit'><field var='resync'>"
              f"<value>{'1' if resync else '0'}</value></field></x></command>")
    done = user.iq_set(GATEWAY, submit).find(f"{{{NS_COMMANDS}}}command")
    assert done is not None and done.get("status") == "completed", to_string(done)
    return mode, done.findtext(f"{{{NS_COMMANDS}}}note")


def forge_privilege(user, namespace="urn:xmpp:privilege:2"):
    """The user claims to be the server granting roster rights; returns the
    (type, condition) of the transport's answer."""
    start = len(user.every_message)
    user.send_raw(f"<message to='{GATEWAY}'><privilege xmlns='{namespace}'>"
                  "<perm access='roster' type='both'/></privilege></message>")
    answer = user.wait_every_message(
        lambda m: m in user.every_message[start:] and m.get("from") == GATEWAY
        and m.get("type") == "error", timeout=20, what="the answer to a forged <privilege/>")
    return error_condition(answer)
