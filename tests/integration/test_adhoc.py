"""XEP-0050 ad-hoc commands on each transport: discovery of the commands a
requester may run, execution of the built-in 'ping' and 'registered-users',
and the XEP-0050 §4.6 errors.

This module runs its own daemon with alice@localhost as the gateway's admin;
every other user (the `user` fixture) is an ordinary one."""

import pytest

from harness import util
from harness.client import error_condition, to_string
from harness.polygate import Polygate
from harness.prosody import DOMAIN
from harness.xep import NS_DATA, NS_DISCO_INFO, NS_DISCO_ITEMS, disco_info, q, register_form

NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"

IRC = "irc.localhost"
SMS = "sms.localhost"
ADMIN = f"alice@{DOMAIN}"


@pytest.fixture(scope="module")
def polygate(tmp_path_factory, prosody, checker, polygate_binary):
    """The daemon with the default transports and alice as its admin (this
    replaces conftest's `polygate` for this module)."""
    daemon = Polygate(polygate_binary, str(tmp_path_factory.mktemp("polygate-adhoc")), prosody,
                      admins=[ADMIN])
    try:
        daemon.start(checker)
    except BaseException:
        try:
            daemon.stop()
        except util.HarnessError:
            pass
        raise
    yield daemon
    daemon.stop()


# -- helpers --------------------------------------------------------------------

def commands_items(client, jid):
    """[(node, name)] that disco#items lists under the commands node of jid."""
    reply = client.iq_get(jid, f"<query xmlns='{NS_DISCO_ITEMS}' node='{NS_COMMANDS}'/>")
    assert reply.get("type") == "result", to_string(reply)
    query = reply.find(q(NS_DISCO_ITEMS, "query"))
    assert query.get("node") == NS_COMMANDS
    items = query.findall(q(NS_DISCO_ITEMS, "item"))
    assert all(item.get("jid") == jid for item in items), to_string(reply)
    return [(item.get("node"), item.get("name")) for item in items]


def execute(client, jid, node, action="execute", extra=""):
    attributes = f"node='{node}'" + (f" action='{action}'" if action else "") + extra
    return client.iq_set(jid, f"<command xmlns='{NS_COMMANDS}' {attributes}/>")


def completed(reply, node):
    """(note text, [lines of the result form]) of a completed command."""
    assert reply.get("type") == "result", to_string(reply)
    command = reply.find(q(NS_COMMANDS, "command"))
    assert command is not None, to_string(reply)
    assert command.get("node") == node
    assert command.get("status") == "completed"
    assert command.get("sessionid")
    note = command.find(q(NS_COMMANDS, "note"))
    assert note is not None and note.get("type") == "info", to_string(reply)
    lines = []
    form = command.find(q(NS_DATA, "x"))
    if form is not None:
        assert form.get("type") == "result"
        field = form.find(q(NS_DATA, "field"))
        assert field.get("type") == "text-multi"
        lines = [v.text or "" for v in field.findall(q(NS_DATA, "value"))]
    return note.text, lines


def assert_error(reply, condition, specific=None):
    assert reply.get("type") == "error", f"expected {condition}, got {to_string(reply)}"
    assert error_condition(reply)[1] == condition, to_string(reply)
    error = reply.find("{jabber:client}error")
    extra = [child.tag.split("}", 1)[1] for child in error
             if child.tag.startswith(f"{{{NS_COMMANDS}}}")]
    assert extra == ([specific] if specific else []), to_string(reply)


# -- discovery ------------------------------------------------------------------

@pytest.mark.parametrize("jid", [IRC, SMS, "purple.localhost"])
def test_disco_info_of_a_transport_lists_the_commands_feature(polygate, user, jid):
    reply = user.iq_get(jid, disco_info())
    assert reply.get("type") == "result", error_condition(reply)
    features = {f.get("var") for f in reply.findall(q(NS_DISCO_INFO, "query", "feature"))}
    assert NS_COMMANDS in features


USER_NODES = ["ping", "reconnect", "leave-all-rooms", "answer-question"]
ADMIN_NODES = ["registered-users", "online-users", "worker-stats"]
# IRC has rooms: its admins may bridge a channel (src/bridge/pg-bridge-commands.c)
BRIDGE_NODES = ["bridges", "bridge-create", "bridge-remove", "bridge-pause", "bridge-resume",
                "bridge-replay"]


def test_a_user_is_offered_the_user_commands_and_no_admin_command(polygate, user):
    items = commands_items(user, IRC)
    assert ("ping", "Ping the gateway") in items
    assert sorted(node for node, _ in items) == sorted(USER_NODES)


def test_an_admin_is_offered_the_admin_commands_too(polygate, alice):
    nodes = [node for node, _ in commands_items(alice, IRC)]
    assert sorted(nodes) == sorted(USER_NODES + ADMIN_NODES + BRIDGE_NODES)


def test_a_user_of_a_domain_not_served_is_offered_nothing(polygate, mallory):
    assert commands_items(mallory, IRC) == []


def test_disco_info_of_a_command_node_names_an_automation_command_node(polygate, user):
    reply = user.iq_get(IRC, f"<query xmlns='{NS_DISCO_INFO}' node='ping'/>")
    assert reply.get("type") == "result", to_string(reply)
    query = reply.find(q(NS_DISCO_INFO, "query"))
    assert query.get("node") == "ping"
    identities = [(i.get("category"), i.get("type"))
                  for i in query.findall(q(NS_DISCO_INFO, "identity"))]
    assert identities == [("automation", "command-node")]
    features = {f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature"))}
    assert {NS_COMMANDS, NS_DATA} <= features


# -- execution ------------------------------------------------------------------

@pytest.mark.parametrize("jid", [IRC, SMS])
def test_ping_completes_with_a_pong_from_the_transport(polygate, user, jid):
    note, lines = completed(execute(user, jid, "ping"), "ping")
    assert note.startswith(f"pong from {jid}, up ") and note.endswith(" s"), note
    assert lines == []


def test_a_command_without_an_action_is_executed(polygate, user):
    completed(execute(user, IRC, "ping", action=None), "ping")


def test_registered_users_lists_a_new_registration_to_an_admin(polygate, alice, user):
    reply = user.iq_set(IRC, register_form({"nick": "adhocuser"}))
    assert reply.get("type") == "result", to_string(reply)

    note, lines = completed(execute(alice, IRC, "registered-users"), "registered-users")
    assert user.jid in lines
    assert note == f"{len(lines)} registered user(s)"
    # only this transport's users: the same user is not registered on SMS
    _, sms_lines = completed(execute(alice, SMS, "registered-users"), "registered-users")
    assert user.jid not in sms_lines


def test_registered_users_is_forbidden_to_a_user(polygate, user):
    assert_error(execute(user, IRC, "registered-users"), "forbidden")


def test_an_unknown_command_node_is_item_not_found(polygate, user):
    assert_error(execute(user, IRC, "no-such-command"), "item-not-found")


def test_a_user_of_a_domain_not_served_may_not_run_commands(polygate, mallory):
    assert_error(execute(mallory, IRC, "ping"), "forbidden")


def test_cancel_ends_the_session_with_status_canceled(polygate, user):
    reply = execute(user, IRC, "ping", action="cancel", extra=" sessionid='abc'")
    assert reply.get("type") == "result", to_string(reply)
    command = reply.find(q(NS_COMMANDS, "command"))
    assert command.get("status") == "canceled"
    assert command.get("sessionid") == "abc"


def test_an_unknown_action_is_a_bad_request_with_malformed_action(polygate, user):
    assert_error(execute(user, IRC, "ping", action="jump"), "bad-request", "malformed-action")


def test_next_on_a_single_stage_command_is_a_bad_request_with_bad_action(polygate, user):
    assert_error(execute(user, IRC, "ping", action="next"), "bad-request", "bad-action")


def test_the_transport_keeps_serving_after_command_errors(polygate, user):
    assert_error(execute(user, IRC, "no-such-command"), "item-not-found")
    completed(execute(user, IRC, "ping"), "ping")


def test_worker_stats_tells_an_admin_how_many_workers_run(polygate, alice):
    reply = alice.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='worker-stats' "
                              "action='execute'/>")
    assert reply.get("type") == "result", to_string(reply)
    note = reply.find(q(NS_COMMANDS, "command")).find(q(NS_COMMANDS, "note"))
    assert note is not None and "worker process(es)" in note.text, to_string(reply)


def test_reconnect_without_a_session_says_so(polygate, user):
    reply = user.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='reconnect' "
                             "action='execute'/>")
    assert reply.get("type") == "result", to_string(reply)
    note = reply.find(q(NS_COMMANDS, "command")).find(q(NS_COMMANDS, "note"))
    assert "no connection" in note.text, to_string(reply)
