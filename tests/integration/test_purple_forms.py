"""Registration forms of `purple` transports, built from the plugin's own
protocol info (issue 9, items 3 and 6).

The oracle is prpl-dump (tests/purple/prpl-dump.c): a separate libpurple
program that loads every installed plugin, as Pidgin does, and prints what
each declares (options, user splits, password flags).  The forms are
compared with that, never with a hand-written list.

One daemon serves one `purple` transport per installed protocol plugin
(libpurple0's own, pidgin-sipe, purple-discord, purple-rocketchat...).
"""

import json
import os
import re
import socket
import struct
import subprocess
import tempfile

import pytest

from harness import util
from harness.client import XmppClient, error_condition, to_string
from harness.polygate import Polygate, find_binary, sanitizer_report
from harness.prosody import DOMAIN, Prosody
from harness.xep import (NS_DATA, data_form, form_fields, q, register_form, register_get,
                         register_query)

NS_VALIDATE = "http://jabber.org/protocol/xdata-validate"

# What libpurple's Debian 12 packages ship, plus the third-party plugins
# contrib/scripts/install-deps.sh installs: each must be found and served.
EXPECTED_PLUGINS = ("prpl-jabber", "prpl-irc", "prpl-simple", "prpl-bonjour", "prpl-zephyr",
                    "prpl-novell", "prpl-gg", "prpl-meanwhile", "prpl-sipe",
                    "prpl-eionrobb-discord", "prpl-eionrobb-rocketchat")


def prpl_dump_binary():
    binary = os.environ.get("PG_PRPL_DUMP")
    if binary:
        return binary
    daemon = find_binary()
    if daemon is None:
        return None
    return os.path.join(os.path.dirname(daemon), "..", "backends", "purple", "prpl-dump")


@pytest.fixture(scope="module")
def declared():
    """{protocol id: what the plugin declares}, from the oracle."""
    binary = prpl_dump_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"prpl-dump not built ({binary}); set PG_PRPL_DUMP", pytrace=False)
    with tempfile.TemporaryDirectory() as user_dir:
        env = dict(os.environ)
        # the oracle is not under test: libpurple's own leaks are not ours
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        result = subprocess.run([binary, user_dir], capture_output=True, text=True, timeout=60,
                                env=env)
    assert result.returncode == 0, result.stderr
    return {p["id"]: p for p in json.loads(result.stdout)}


def slug(text):
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def transport_jid(protocol):
    return f"{slug(protocol).replace('_', '-')}.localhost"


@pytest.fixture(scope="module")
def every_plugin_gateway(tmp_path_factory, cert_dir, polygate_binary):
    """Prosody plus one daemon with a purple transport per expected plugin."""
    jids = {p: transport_jid(p) for p in EXPECTED_PLUGINS}
    server = Prosody(str(tmp_path_factory.mktemp("prosody-forms")), cert_dir,
                     components=tuple(jids.values()))
    server.create_user("harness")
    server.start()
    checker = XmppClient(f"harness@{DOMAIN}", server.passwords[f"harness@{DOMAIN}"],
                         port=server.c2s_port).connect()
    transports = [{"name": slug(p), "jid": jid, "type": "purple", "display": p,
                   "purple_protocol": p} for p, jid in jids.items()]
    daemon = Polygate(polygate_binary, str(tmp_path_factory.mktemp("polygate-forms")), server,
                      transports=transports)
    try:
        daemon.start(checker, timeout=60)
        yield server, daemon, checker, jids
    finally:
        checker.disconnect()
        try:
            daemon.stop()
        finally:
            server.stop()


def field_elements(form):
    return {f.get("var"): f for f in form.findall(q(NS_DATA, "field"))}


def assert_option_field(field, option, protocol):
    var = f"option.{option['setting']}"
    assert field is not None, f"{protocol}: no field {var} for '{option['label']}'"
    # a form label is one line: runs of white space become one space
    assert field.get("label") == " ".join(option["label"].split()), (protocol, var)
    values = [v.text or "" for v in field.findall(q(NS_DATA, "value"))]
    kind = option["type"]
    if kind == "bool":
        assert field.get("type") == "boolean", (protocol, var, field.get("type"))
        assert values == ["1" if option["default"] == "true" else "0"], (protocol, var, values)
    elif kind == "int":
        assert field.get("type") == "text-single", (protocol, var)
        validate = field.find(q(NS_VALIDATE, "validate"))
        assert validate is not None and validate.get("datatype") == "xs:integer", (protocol, var)
        assert values == [option["default"]], (protocol, var, values)
    elif kind == "list":
        assert field.get("type") == "list-single", (protocol, var)
        offered = [(o.get("label"), o.find(q(NS_DATA, "value")).text)
                   for o in field.findall(q(NS_DATA, "option"))]
        assert offered == [tuple(c) for c in option["choices"]], (protocol, var, offered)
        assert values == [option["default"]], (protocol, var, values)
    else:
        assert field.get("type") in ("text-single", "text-private"), (protocol, var)
        if option["masked"]:
            assert field.get("type") == "text-private", (protocol, var)
        if field.get("type") == "text-single":
            assert values == ([option["default"]] if option["default"] else []), (
                protocol, var, values)


# Options that name a program the plugin runs: left out of the form unless
# the operator offers them (src/network/pg-purple-form.c says why).
PROGRAMS = {("prpl-zephyr", "tzc_command"), ("prpl-zephyr", "use_tzc"),
            ("prpl-sipe", "rdp_client")}


def assert_form_matches(form, plugin):
    protocol = plugin["id"]
    fields = field_elements(form)
    assert fields["username"].get("type") == "text-single", protocol
    assert fields["username"].find(q(NS_DATA, "required")) is not None, protocol
    for option in plugin["options"]:
        if (protocol, option["setting"]) in PROGRAMS:
            assert f"option.{option['setting']}" not in fields, (protocol, option)
            continue
        assert_option_field(fields.get(f"option.{option['setting']}"), option, protocol)
    for split in plugin["splits"]:
        var = f"split.{slug(split['label'])}"
        assert var in fields, f"{protocol}: no field {var} for the split '{split['label']}'"
        assert fields[var].get("type") == "text-single", (protocol, var)
    if plugin["password"] == "none":
        assert "password" not in fields, protocol
    else:
        assert fields["password"].get("type") == "text-private", protocol
        required = fields["password"].find(q(NS_DATA, "required")) is not None
        assert required == (plugin["password"] == "required"), protocol
    # nothing the plugin does not declare, beyond the account's name and password
    known = {"FORM_TYPE", "username", "password"}
    known |= {f"option.{o['setting']}" for o in plugin["options"]}
    known |= {f"split.{slug(s['label'])}" for s in plugin["splits"]}
    assert set(fields) <= known, (protocol, set(fields) - known)


# -- the default daemon's prpl-jabber transport ---------------------------------

def test_the_prpl_jabber_form_lists_the_plugins_own_options(polygate, user, declared):
    reply = user.iq_get("purple.localhost", register_get())
    assert reply.get("type") == "result", to_string(reply)
    assert_form_matches(data_form(register_query(reply)), declared["prpl-jabber"])


# -- every plugin Debian ships ----------------------------------------------------

def test_every_expected_plugin_is_installed(declared):
    missing = [p for p in EXPECTED_PLUGINS if p not in declared]
    assert not missing, f"not installed (contrib/scripts/install-deps.sh): {missing}"


@pytest.mark.parametrize("protocol", EXPECTED_PLUGINS)
def test_each_plugins_form_lists_its_real_options_with_their_types(every_plugin_gateway,
                                                                   declared, protocol):
    _server, _daemon, checker, jids = every_plugin_gateway
    reply = checker.iq_get(jids[protocol], register_get())
    assert reply.get("type") == "result", to_string(reply)
    assert_form_matches(data_form(register_query(reply)), declared[protocol])


NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
NS_RECEIPTS = "urn:xmpp:receipts"


def test_some_plugins_cannot_send_typing(declared):
    """The next test can fail: among the plugins, some have no send_typing."""
    assert declared["prpl-jabber"]["typing"]
    assert not all(declared[p]["typing"] for p in EXPECTED_PLUGINS), \
        {p: declared[p]["typing"] for p in EXPECTED_PLUGINS}


@pytest.mark.parametrize("protocol", EXPECTED_PLUGINS)
def test_contacts_claim_chat_states_only_if_the_plugin_sends_typing(every_plugin_gateway,
                                                                    declared, protocol):
    """XEP-0085 §5.1 / XEP-0030: a contact lists chatstates when its
    plugin can send typing, and XEP-0184 receipts only for prpl-jabber,
    whose worker carries real ones (backends/purple/pg-purple-receipts.c)."""
    _server, _daemon, checker, jids = every_plugin_gateway
    reply = checker.iq_get(f"someone@{jids[protocol]}", f"<query xmlns='{NS_DISCO_INFO}'/>")
    assert reply.get("type") == "result", to_string(reply)
    features = {f.get("var") for f in reply.iter(q(NS_DISCO_INFO, "feature"))}
    assert (NS_CHATSTATES in features) == declared[protocol]["typing"], (protocol, features)
    assert (NS_RECEIPTS in features) == (protocol == "prpl-jabber"), (protocol, features)


# -- each plugin alone, as the gateway loads it for a login -----------------------

def worker_binary():
    binary = os.environ.get("PG_TEST_WORKER")
    if binary:
        return binary
    return os.path.join(os.path.dirname(os.path.dirname(find_binary())), "backends", "purple",
                        "polygate-purple")


def contract_version():
    header = os.path.join(os.path.dirname(__file__), "..", "..", "src", "ipc",
                          "pg-ipc-message.h")
    with open(header, encoding="utf-8") as f:
        return int(re.search(r"^#define PG_IPC_PROTOCOL_VERSION (\d+)$", f.read(), re.M)[1])


def frame(GLib, request_id, kind, fields):
    data = GLib.Variant("(usa{sv})", (request_id, kind, fields)).get_data_as_bytes().get_data()
    return struct.pack(">I", len(data)) + data


def read_frame(GLib, sock):
    def exactly(size):
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))  # bounded by the socket's timeout
            assert chunk, "the worker closed its socket"
            data += chunk
        return data
    payload = exactly(struct.unpack(">I", exactly(4))[0])
    variant = GLib.Variant.new_from_bytes(GLib.VariantType.new("(usa{sv})"),
                                          GLib.Bytes.new(payload), False)
    return variant.unpack()


@pytest.mark.parametrize("protocol", EXPECTED_PLUGINS)
def test_each_plugin_loads_alone_in_a_worker_and_describes_itself(declared, protocol,
                                                                  tmp_path):
    """A login's worker loads the plugin's file and TLS, nothing else
    (src/session/pg-supervisor.c): each plugin must work so, and describe
    itself there as it does to the oracle."""
    GLib = pytest.importorskip("gi.repository.GLib")
    plugin = declared[protocol]
    user_dir = tmp_path / "user"
    user_dir.mkdir(mode=0o700)
    stderr_path = tmp_path / "worker.stderr"
    sock, child = socket.socketpair()
    sock.settimeout(60)
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            [worker_binary(), "--ipc-fd", str(child.fileno()), "--user-dir", str(user_dir),
             f"--plugin={plugin['path']}", "--plugin=ssl.so", "--plugin=ssl-nss.so"],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=stderr,
            stderr=stderr)
    child.close()
    try:
        assert read_frame(GLib, sock)[1] == "hello"
        sock.sendall(frame(GLib, 0, "hello", {"version": GLib.Variant("u", contract_version()),
                                              "program": GLib.Variant("s", "test")}))
        sock.sendall(frame(GLib, 7, "protocol-info",
                           {"protocol": GLib.Variant("s", protocol)}))
        while True:
            request_id, kind, fields = read_frame(GLib, sock)
            assert kind != "error", fields
            if kind == "protocol-info" and request_id == 7:
                break
        assert fields["file"] == plugin["path"]
        assert fields["password"] == plugin["password"]
        assert [(o[0], o[1]) for o in fields["options"]] == [
            (o["setting"], o["type"]) for o in plugin["options"]]
        assert [o[3] for o in fields["options"]] == [o["default"] for o in plugin["options"]]
        assert [s[0] for s in fields["splits"]] == [s["label"] for s in plugin["splits"]]
        # XEP-0085 needs a plugin that sends typing (send_typing != NULL)
        assert fields.get("typing", False) == plugin["typing"], (protocol, fields.get("typing"))
        sock.sendall(frame(GLib, 8, "shutdown", {}))
        assert proc.wait(timeout=30) == 0, util.log_tail(str(stderr_path))
    finally:
        if proc.poll() is None:
            util.stop_process(proc)
        sock.close()
    report = sanitizer_report(stderr_path.read_text(errors="replace"))
    assert not report, report


# -- submitting the generated form ------------------------------------------------

def test_a_bad_option_value_is_not_acceptable_and_names_the_field(polygate, user):
    for var, value in (("option.port", "five"), ("option.connection_security", "plaintext"),
                       ("option.auth_plain_in_clear", "maybe")):
        reply = user.iq_set("purple.localhost", register_form(
            {"username": "bob", "split.domain": "legacy.localhost", var: value}))
        assert reply.get("type") == "error", to_string(reply)
        assert error_condition(reply) == ("modify", "not-acceptable"), to_string(reply)
        assert value in to_string(reply)


# -- --check-config against the installed plugins ---------------------------------

CHECK_CONFIG = """\
[polygate]
database = registry.db
key_file = registry.key

[xmpp]
host = 127.0.0.1
port = 5347

[http]
port = 0

[transport xmpp]
jid = xmpp.localhost
secret = {secret}
type = purple
purple_protocol = {protocol}
{extra}
"""


def check_config(polygate_binary, tmp_path, protocol="prpl-jabber", extra=""):
    path = tmp_path / "polygate.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(CHECK_CONFIG.format(secret=util.secret(), protocol=protocol, extra=extra))
    result = subprocess.run([polygate_binary, "--check-config", "--config", str(path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Sanitizer" not in result.stderr, result.stderr
    return str(path), result


def test_check_config_accepts_option_keys_the_plugin_has(polygate_binary, tmp_path):
    _path, result = check_config(polygate_binary, tmp_path, extra=(
        "option.connect_server = legacy.localhost\noption_default.port = 5223\n"
        "option_hidden.bosh_url = true\noption.split.domain = legacy.localhost\n"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("extra,key,words", [
    ("option.conect_server = x\n", "option.conect_server", "prpl-jabber has no option"),
    ("option.port = twelve\n", "option.port", "whole number"),
    ("option_default.connection_security = plaintext\n",
     "option_default.connection_security", "not one of the choices"),
    ("option_hidden.custom_smileys = perhaps\n", "option_hidden.custom_smileys",
     "true or false"),
], ids=["unknown-option", "not-an-int", "not-a-choice", "hidden-not-a-bool"])
def test_check_config_names_a_bad_option_key(polygate_binary, tmp_path, extra, key, words):
    path, result = check_config(polygate_binary, tmp_path, extra=extra)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert f"{path}: [transport xmpp] {key}: " in out, out
    assert words in out, out


def test_check_config_names_a_protocol_no_installed_plugin_provides(polygate_binary, tmp_path):
    path, result = check_config(polygate_binary, tmp_path, protocol="prpl-nonexistent")
    assert result.returncode == 1
    assert (f"{path}: [transport xmpp] purple_protocol: no installed libpurple plugin "
            "provides prpl-nonexistent") in result.stdout + result.stderr


def test_the_discord_example_finds_its_plugin_in_libdiscord(polygate_binary, tmp_path):
    # conf/polygate.conf.example names prpl-eionrobb-discord, which lives in
    # libdiscord.so: found by asking the plugins, not guessed from the id
    _path, result = check_config(polygate_binary, tmp_path, protocol="prpl-eionrobb-discord",
                                 extra="option_hidden.display-images = true\n")
    assert result.returncode == 0, result.stdout + result.stderr


# -- end to end: prpl-jabber against a second Prosody host ------------------------

LEGACY = "legacy.localhost"


@pytest.fixture(scope="module")
def legacy_gateway(tmp_path_factory, cert_dir, polygate_binary):
    """Prosody with the user's host and a 'legacy' host (no TLS on it, so no
    certificate prompt), and a daemon whose xmpp.localhost runs prpl-jabber."""
    server = Prosody(str(tmp_path_factory.mktemp("prosody-legacy")), cert_dir,
                     components=("xmpp.localhost",),
                     extra_lines=[f'VirtualHost "{LEGACY}"', '  modules_disabled = { "tls" }'])
    server.create_user("harness")
    server.start()
    checker = XmppClient(f"harness@{DOMAIN}", server.passwords[f"harness@{DOMAIN}"],
                         port=server.c2s_port).connect()
    daemon = Polygate(polygate_binary, str(tmp_path_factory.mktemp("polygate-legacy")), server,
                      transports=[{"name": "xmpp", "jid": "xmpp.localhost", "type": "purple",
                                   "display": "XMPP gateway", "purple_protocol": "prpl-jabber"}])
    try:
        daemon.start(checker, timeout=60)
        yield server, daemon
    finally:
        checker.disconnect()
        try:
            daemon.stop()
        finally:
            server.stop()


def test_registering_through_the_generated_form_logs_in_with_those_options(legacy_gateway):
    server, daemon = legacy_gateway
    legacy_jid = server.create_user("legacyuser", LEGACY)
    jid = server.create_user(f"e2e{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    try:
        form = data_form(register_query(user.iq_get("xmpp.localhost", register_get())))
        fields = form_fields(form)
        for var in ("username", "split.domain", "password", "option.connect_server",
                    "option.port", "option.connection_security",
                    "option.auth_plain_in_clear"):
            assert var in fields, var
        # the options make the difference: without them prpl-jabber would
        # look legacy.localhost up in DNS, use port 5222 and require TLS
        reply = user.iq_set("xmpp.localhost", register_form({
            "username": "legacyuser", "split.domain": LEGACY,
            "password": server.passwords[legacy_jid],
            "option.connect_server": "127.0.0.1", "option.port": str(server.c2s_port),
            "option.connection_security": "opportunistic_tls",
            "option.auth_plain_in_clear": "1"}))
        assert reply.get("type") == "result", to_string(reply)
        assert server.passwords[legacy_jid] not in util.log_tail(daemon.log_path, 100000)
        # XEP-0077 §3.1: a registered user sees what they stored, never the password
        again = user.iq_get("xmpp.localhost", register_get())
        stored = form_fields(data_form(register_query(again)))
        assert stored["username"]["values"] == ["legacyuser"]
        assert stored["split.domain"]["values"] == [LEGACY]
        assert stored["option.port"]["values"] == [str(server.c2s_port)]
        assert stored["option.auth_plain_in_clear"]["values"] == ["1"]
        assert stored["option.connection_security"]["values"] == ["opportunistic_tls"]
        assert server.passwords[legacy_jid] not in to_string(again)
        user.send_presence(to="xmpp.localhost")
        util.wait_for(lambda: f"Authenticated as {legacy_jid}" in
                      util.log_tail(server.log_path, 100000), 60,
                      f"{legacy_jid} to log in to Prosody through the worker", daemon.log_path)
    finally:
        user.disconnect()
