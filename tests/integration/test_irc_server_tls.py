"""Per-server TLS and port (issue 10, item 2): the XEP-0050 "configure"
command on a server's JID sets whether the gateway speaks TLS to that
server and on which port, within what the operator allows.

ngircd listens twice here: plain on ngircd.port (the transports' irc_port)
and with TLS on ngircd.tls_port, with a self-signed certificate.

- A user who chooses TLS and the TLS port gets there over TLS at the next
  login (the certificate question shows it is TLS; ngircd's log too).
- A port outside irc_user_ports is refused in the form (not-allowed), and
  so is one the operator's irc_deny refuses for that server; the fixed
  irc_server is the operator's own choice and is not held to irc_deny.
- Values that are no port or no TLS choice are not-acceptable.
- What was set (here and in the other fields of the form) is kept across a
  gateway restart.
"""

import pytest

from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, IRCNET, SERVER, gateway, gateway_options, irc_checker, irc_prosody, make_irc_client,
    make_irc_user, ngircd, ngircd_password, body, wait_until)

NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
SERVER_JID = f"{SERVER}@{IRC}"
DENIED_PORT = 6668


NGIRCD_TLS = True


@pytest.fixture(scope="module")
def gateway_options():
    # the test servers listen on free (high) ports; 6668 on 127.0.0.1 is
    # refused by the policy (but not on the fixed server)
    return {"irc_user_ports": "6665-6669; 1024-65535",
            "irc_deny": f"{SERVER}:{DENIED_PORT}"}


def execute(client, to):
    reply = client.iq_set(to, f"<command xmlns='{NS_COMMANDS}' node='configure' "
                              "action='execute'/>")
    assert reply.get("type") == "result", to_string(reply)
    command = reply.find(f"{{{NS_COMMANDS}}}command")
    assert command.get("status") == "executing", to_string(reply)
    return command


def fields_of(command):
    return {f.get("var"): f for f in
            command.find(f"{{{NS_DATA}}}x").findall(f"{{{NS_DATA}}}field")}


def value_of(field):
    value = field.find(f"{{{NS_DATA}}}value")
    return value.text if value is not None else None


def configure(client, to, fields):
    form = execute(client, to)
    values = "".join(f"<field var='{k}'><value>{v}</value></field>" for k, v in fields.items())
    return client.iq_set(to, f"<command xmlns='{NS_COMMANDS}' node='configure' "
                             f"sessionid='{form.get('sessionid')}' action='complete'>"
                             f"<x xmlns='{NS_DATA}' type='submit'>{values}</x></command>")


def configured(client, to, fields):
    reply = configure(client, to, fields)
    assert reply.get("type") == "result", to_string(reply)
    assert reply.find(f"{{{NS_COMMANDS}}}command").get("status") == "completed"


def refused(client, to, fields, condition):
    reply = configure(client, to, fields)
    assert reply.get("type") == "error", to_string(reply)
    assert error_condition(reply)[1] == condition, to_string(reply)
    return to_string(reply)


def test_the_form_offers_port_and_tls_with_their_types(make_irc_user):
    alice = make_irc_user(online=False)
    fields = fields_of(execute(alice.client, SERVER_JID))
    assert fields["port"].get("type") == "text-single"
    assert "port" in (fields["port"].get("label") or "").lower()
    assert fields["tls"].get("type") == "list-single"
    assert {value_of(o) for o in fields["tls"].findall(f"{{{NS_DATA}}}option")} == \
        {"default", "true", "false"}
    assert value_of(fields["tls"]) == "default"
    assert value_of(fields["port"]) is None


def test_tls_on_the_chosen_port_is_used_at_the_next_login(make_irc_user, ngircd):
    alice = make_irc_user(transports=(IRCNET,), online=False)
    configured(alice.client, IRCNET, {"port": ngircd.tls_port, "tls": "true"})
    fields = fields_of(execute(alice.client, IRCNET))
    assert value_of(fields["port"]) == str(ngircd.tls_port)
    assert value_of(fields["tls"]) == "true"

    before = ngircd.tls_connections()
    alice.go_online(IRCNET)
    # the self-signed certificate is questioned: this is TLS
    question = alice.wait_message(
        lambda m: (m.get("from") or "").split("/")[0] == IRCNET and
        (body(m) or "").startswith("Question from the legacy network"), 60,
        "the certificate question")
    assert "Accept certificate for 127.0.0.1?" in body(question), to_string(question)
    alice.send(IRCNET, "1")
    alice.wait_on_irc()
    assert ngircd.tls_connections() > before, ngircd.tail()


def test_a_port_the_operator_does_not_list_is_not_allowed(make_irc_user):
    alice = make_irc_user(online=False)
    text = refused(alice.client, SERVER_JID, {"port": "25"}, "not-allowed")
    assert "6665-6669" in text, text
    # nothing was kept
    assert value_of(fields_of(execute(alice.client, SERVER_JID))["port"]) is None


def test_a_port_irc_deny_refuses_for_the_server_is_not_allowed_but_the_fixed_server_is_the_operators(
        make_irc_user):
    alice = make_irc_user(transports=(IRC, IRCNET), online=False)
    refused(alice.client, SERVER_JID, {"port": DENIED_PORT}, "not-allowed")
    configured(alice.client, IRCNET, {"port": DENIED_PORT})


@pytest.mark.parametrize("fields", [{"port": "http"}, {"port": "0"}, {"port": "70000"},
                                    {"port": "66 67"}, {"tls": "maybe"}])
def test_what_is_no_port_or_no_tls_choice_is_not_acceptable(make_irc_user, fields):
    alice = make_irc_user(online=False)
    refused(alice.client, SERVER_JID, fields, "not-acceptable")


def test_every_setting_is_kept_across_a_gateway_restart(make_irc_user, gateway, irc_checker,
                                                        ngircd):
    alice = make_irc_user(online=False)
    configured(alice.client, SERVER_JID, {"port": "6697", "tls": "false",
                                          "fingerprint": ngircd.cert_sha256,
                                          "encoding": "ISO-8859-15"})
    reply = alice.client.iq_set(
        SERVER_JID, f"<command xmlns='{NS_COMMANDS}' node='configure' "
        f"sessionid='{execute(alice.client, SERVER_JID).get('sessionid')}' action='complete'>"
        f"<x xmlns='{NS_DATA}' type='submit'><field var='commands'><value>MODE a +x</value>"
        "<value>AWAY :later</value></field></x></command>")
    assert reply.get("type") == "result", to_string(reply)
    gateway.stop()
    gateway.start(irc_checker, timeout=60)
    fields = fields_of(execute(alice.client, SERVER_JID))
    assert value_of(fields["port"]) == "6697"
    assert value_of(fields["tls"]) == "false"
    assert value_of(fields["fingerprint"]) == ngircd.cert_sha256
    assert value_of(fields["encoding"]) == "ISO-8859-15"
    assert "2 set" in (fields["commands"].get("label") or ""), fields["commands"].get("label")
    # and back to the gateway's choice
    configured(alice.client, SERVER_JID, {"port": "", "tls": "default"})
    fields = fields_of(execute(alice.client, SERVER_JID))
    assert value_of(fields["port"]) is None
    assert value_of(fields["tls"]) == "default"
