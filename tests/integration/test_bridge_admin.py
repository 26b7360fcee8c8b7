"""Bridges made and removed by a gateway admin's XEP-0050 commands, without a
restart (issue 11 §1: "through admin ad-hoc commands (create, list, pause,
remove)").

bridge-create takes the fields of a [bridge NAME] group and checks them with
the config's own code; the bridge it makes asks a chanop's approval like a
configured one, is kept in the bridge store and comes back after a restart.
bridge-remove makes its IRC client leave the channel and its relay and
puppets leave the room.  Only [polygate] admins may run either.
"""

import os
from xml.sax.saxutils import escape, quoteattr

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    IRC, NS_COMMANDS, NS_DATA, MUC, Bridged, bridge_checker, bridge_configs, bridge_gateway,
    bridge_options,
    bridge_prosody, make_irc, ngircd, presence_of, relayed, run_command, util_text)
from harness.client import XmppClient
from harness.ircgw import consume_all, unique, wait_presence
from harness.polygate import run_binary

NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


@pytest.fixture(scope="module")
def bridge_names():
    return ("conf",)


def execute(client, node, fields):
    """Run two-stage @node on the IRC transport, submitting @fields (var ->
    value) to its form.  Returns the reply to the submission (an error or
    the completed command)."""
    reply = client.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='{node}' "
                               "action='execute'/>")
    if reply.get("type") == "error":
        return reply
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command is not None and command.get("status") == "executing", util_text(reply)
    form = command.find(f"{{{NS_DATA}}}x")
    offered = {f.get("var") for f in form.findall(f"{{{NS_DATA}}}field")}
    assert set(fields) <= offered, (sorted(set(fields) - offered), util_text(reply))
    values = "".join(f"<field var={quoteattr(k)}><value>{escape(v)}</value></field>"
                     for k, v in fields.items())
    return client.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='{node}' "
                              f"sessionid={quoteattr(command.get('sessionid'))} "
                              f"action='complete'><x xmlns='{NS_DATA}' type='submit'>"
                              f"{values}</x></command>")


def condition(reply):
    """(condition, text) of an error reply."""
    assert reply.get("type") == "error", util_text(reply)
    error = reply.find("{jabber:client}error")
    names = [c.tag.split("}")[1] for c in error if c.tag.startswith(f"{{{NS_STANZAS}}}")
             and not c.tag.endswith("}text")]
    return names[0], error.findtext(f"{{{NS_STANZAS}}}text") or ""


def completed(reply):
    assert reply.get("type") == "result", util_text(reply)
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command.get("status") == "completed", util_text(reply)
    return command.findtext(f"{{{NS_COMMANDS}}}note") or ""


def fields_for(name):
    tag = f"{os.getpid() % 10000}"
    return {"name": name, "server": "127.0.0.1", "channel": f"#{name}{tag}",
            "room": f"{name}{tag}@{MUC}", "nick": f"{name}brg{tag}"}


def status_of(gateway):
    result = run_binary(gateway.binary, "bridge", "status", "--config", gateway.config_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_user_who_is_not_an_admin_may_not_create_or_remove_a_bridge(bridge_gateway,
                                                                       bridge_prosody):
    jid = bridge_prosody.create_user(unique("nonadmin"))
    client = XmppClient(jid, bridge_prosody.passwords[jid],
                        port=bridge_prosody.c2s_port).connect()
    try:
        for node in ("bridge-create", "bridge-remove"):
            reply = client.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='{node}' "
                                       "action='execute'/>")
            assert condition(reply)[0] == "forbidden", util_text(reply)
    finally:
        client.disconnect()


@pytest.mark.parametrize("field,value,expected", [
    ("room", "not a jid", "bad-request"),
    ("channel", "nochannel", "bad-request"),
    ("nick", "9bad nick", "bad-request"),
    ("phase", "sideways", "bad-request"),
    ("self_ping_interval", "1", "bad-request"),
])
def test_a_bad_field_is_refused_with_the_field_named(bridge_checker, bridge_gateway, field,
                                                    value, expected):
    fields = dict(fields_for(unique("bad")), **{field: value})
    got, text = condition(execute(bridge_checker, "bridge-create", fields))
    assert got == expected, text
    assert text.startswith(f"{field}: "), text
    assert fields["name"] not in run_command(bridge_checker, "bridges")


def test_a_name_the_config_file_has_is_refused_and_the_config_wins(bridge_checker,
                                                                   bridge_gateway):
    got, text = condition(execute(bridge_checker, "bridge-create", fields_for("conf")))
    assert got == "conflict", text
    assert text.startswith("name: ") and "config" in text, text


def test_a_room_another_bridge_has_is_refused(bridge_checker, bridge_gateway, bridge_configs):
    fields = dict(fields_for(unique("dup")), room=bridge_configs["conf"]["room"])
    got, text = condition(execute(bridge_checker, "bridge-create", fields))
    assert got == "bad-request" and text.startswith("room: "), text


def test_a_configured_bridge_is_not_removed_by_command(bridge_checker, bridge_gateway):
    got, text = condition(execute(bridge_checker, "bridge-remove", {"bridge": "conf"}))
    assert got == "not-allowed" and "[bridge conf]" in text, text


def test_a_bridge_made_by_command_relays_comes_back_after_a_restart_and_goes_when_removed(
        bridge_gateway, bridge_checker, make_irc):
    fields = fields_for("made")
    b = Bridged(bridge_gateway, "made", fields, make_irc)
    try:
        owner = b.create_room()
        op = b.chanop("op")
        note = completed(execute(bridge_checker, "bridge-create", fields))
        assert "made" in note and "approve" in note, note
        # the duplicate is refused now that it exists
        got, text = condition(execute(bridge_checker, "bridge-create", fields))
        assert got == "conflict" and text.startswith("name: "), text
        # consent, as for a configured bridge
        b.approve(op)
        wait_presence(owner.client, presence_of(b.room, op.nick), 45, "the op's puppet", b.logs)
        op.privmsg(b.channel, "from irc to the made bridge")
        owner.wait_line(op.nick, "from irc to the made bridge", 30, b.logs)
        owner.say("from xmpp to the made bridge")
        op.wait_for(relayed(owner.nick, "from xmpp to the made bridge"), 30, "the relay", b.logs)
        assert "made: " in run_command(bridge_checker, "bridges")

        # a restart: it comes back by itself, without asking again
        consume_all(owner.client)
        bridge_gateway.stop()
        op.wait_for(lambda l: l.is_("QUIT", nick=b.nick), 30, "the bridge's QUIT", b.logs)
        bridge_gateway.start(bridge_checker)
        op.wait_for(lambda l: l.is_("JOIN", nick=b.nick), 60, "the bridge back, unasked",
                    b.logs)
        wait_presence(owner.client, presence_of(b.room, op.nick), 45, "the op's puppet again",
                      b.logs)
        assert "made" in status_of(bridge_gateway)

        # removed: puppets and relay leave the room, the client the channel
        consume_all(owner.client)
        note = completed(execute(bridge_checker, "bridge-remove",
                                 {"bridge": "made", "keep_state": "0"}))
        assert "removed" in note, note
        wait_presence(owner.client, presence_of(b.room, op.nick, "unavailable"), 30,
                      "the puppet's leave", b.logs)
        wait_presence(owner.client, presence_of(b.room, b.nick, "unavailable"), 30,
                      "the relay's leave", b.logs)
        op.wait_for(lambda l: l.command in ("PART", "QUIT") and l.is_(l.command, nick=b.nick),
                    30, "the bridge leaving the channel", b.logs)
        assert "bridge made\n" not in status_of(bridge_gateway)
        assert "made: " not in run_command(bridge_checker, "bridges")
        got, _ = condition(execute(bridge_checker, "bridge-remove", {"bridge": "made"}))
        assert got == "item-not-found"
    finally:
        b.close()


def test_a_bridge_removed_with_its_state_kept_shows_as_removed_in_status(bridge_checker,
                                                                       bridge_gateway):
    fields = fields_for(unique("kept"))
    name = fields["name"]
    completed(execute(bridge_checker, "bridge-create", fields))
    listing = run_command(bridge_checker, "bridges")
    assert f"{name}: " in listing and "made by command" in listing, listing
    note = completed(execute(bridge_checker, "bridge-remove", {"bridge": name}))
    assert "kept" in note, note
    status = status_of(bridge_gateway)
    block = status[status.index(f"bridge {name}\n"):]
    assert "phase:      removed" in block.split("\nbridge ")[0], status
    assert f"{name}: " not in run_command(bridge_checker, "bridges")
    # made again, it is a new bridge of the same name
    completed(execute(bridge_checker, "bridge-create", fields))
    completed(execute(bridge_checker, "bridge-remove", {"bridge": name, "keep_state": "false"}))
    assert f"bridge {name}\n" not in status_of(bridge_gateway)


def test_a_config_group_of_the_same_name_wins_over_a_made_bridge_after_a_restart(
        bridge_checker, bridge_gateway):
    fields = fields_for(unique("shadow"))
    name = fields["name"]
    completed(execute(bridge_checker, "bridge-create", fields))
    config_group = dict(fields_for(unique("cfg")), name=name, transport="irc")
    bridge_gateway.stop()
    bridge_gateway.bridges.append(config_group)
    try:
        bridge_gateway.write_config()
        bridge_gateway.start(bridge_checker)
        listing = run_command(bridge_checker, "bridges")
        assert (f"a bridge made by command did not start: name: the config file has a "
                f"[bridge {name}]") in listing, listing
        line = next(l for l in listing.split("\n") if l.startswith(f"{name}: "))
        assert line.startswith(f"{name}: {config_group['channel']} ") and \
            "made by command" not in line, line
        got, text = condition(execute(bridge_checker, "bridge-remove", {"bridge": name}))
        assert got == "not-allowed", text
    finally:
        bridge_gateway.bridges.remove(config_group)
        bridge_gateway.write_config()
