"""A bridge made by command (bridge-create) logs its IRC client in with SASL
PLAIN, as a configured one does with sasl_password_file (issue 11: the
bridge's IRC client "is SASL-registered").

The password is a text-private field (XEP-0004 §3.3) of the form; the
gateway keeps it sealed by the registry's vault (src/registry/pg-vault.h),
so it comes back after a restart, and shows nowhere: not in the gateway's
log, not in the plain bytes of its SQLite files, not in the bridges
command's answer nor in `polygate bridge status`.  Here the IRC network is
inspircd + atheme (harness/services.py): ngircd has no SASL.
"""

import glob
import os

import pytest

from harness import services as irc_services
from harness.bridge import (  # noqa: F401 (fixtures)
    IRC, NS_COMMANDS, bridge_checker, bridge_configs, bridge_gateway, bridge_options,
    bridge_prosody, run_command, util_text)
from harness.irc import IrcClient
from harness.ircgw import unique, wait_until
from test_bridge_admin import completed, execute, fields_for, status_of

if not irc_services.available():
    pytest.skip("inspircd and atheme-services are not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    """The IRC network is inspircd + atheme (the bridge fixtures take its
    port and logs from whatever `ngircd` is)."""
    network = irc_services.IrcServices(str(tmp_path_factory.mktemp("services")))
    network.start()
    yield network
    network.stop()


@pytest.fixture(scope="module")
def bridge_names():
    return ("conf",)


CONF_PASSWORD = "c0nf-file-pw"


@pytest.fixture(scope="module")
def bridge_options(ngircd, tmp_path_factory):
    """The configured bridge logs in with sasl_password_file: the control."""
    nick = unique("cf")
    ngircd.register_account(nick, CONF_PASSWORD)
    path = os.path.join(str(tmp_path_factory.mktemp("secret")), "conf.pw")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(CONF_PASSWORD + "\n")
    return {"conf": {"nick": nick, "sasl_password_file": path}}


def test_a_configured_bridge_logs_in_with_sasl(bridge_gateway, bridge_configs, ngircd):
    nick = bridge_configs["conf"]["nick"]
    with IrcClient(ngircd.port, unique("bob")).connect() as bob:
        account = wait_until(lambda: logged_in_as(bob, nick), 60,
                             f"WHOIS {nick} to show the configured bridge logged in",
                             (bridge_gateway.log_path,) + tuple(ngircd.log_paths))
        assert account.lower() == nick.lower()
        bob.quit()


def logged_in_as(bob, nick):
    """The account WHOIS shows for nick (numeric 330), or None."""
    for line in bob.whois(nick):
        if line.command == "330" and len(line.params) > 2:
            return line.params[2]
    return None


def the_plain_bytes(gateway):
    """Every file of the gateway's directory: log, registry, bridge store
    (with their -wal and -shm)."""
    found = b""
    for path in glob.glob(os.path.join(os.path.dirname(gateway.database), "*")):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                found += f.read()
    return found


def test_a_bridge_made_by_command_logs_in_with_sasl_and_after_a_restart_too(
        bridge_gateway, bridge_checker, ngircd):
    name = unique("sasl")[:12]
    fields = fields_for(name)
    nick = fields["nick"] = unique("sb")  # short: NickServ's nick length
    password = f"s3aled-{unique('pw')}"
    ngircd.register_account(nick, password)
    logs = (bridge_gateway.log_path,) + tuple(ngircd.log_paths)

    # the form offers the password as text-private, with no value
    reply = bridge_checker.iq_set(IRC, f"<command xmlns='{NS_COMMANDS}' node='bridge-create' "
                                 "action='execute'/>")
    form = util_text(reply)
    assert "var='sasl_password'" in form or 'var="sasl_password"' in form, form
    assert "text-private" in form, form

    note = completed(execute(bridge_checker, "bridge-create",
                             dict(fields, sasl_password=password)))
    assert password not in note
    with IrcClient(ngircd.port, unique("bob")).connect() as bob:
        account = wait_until(lambda: logged_in_as(bob, nick), 60,
                             f"WHOIS {nick} to show the bridge logged in (330)", logs)
        assert account.lower() == nick.lower()

        listing = run_command(bridge_checker, "bridges")
        assert f"{name}: " in listing and password not in listing, listing
        assert password not in status_of(bridge_gateway)

        # a restart: the sealed password is read back, the client logs in again
        bridge_gateway.stop()
        wait_until(lambda: logged_in_as(bob, nick) is None, 30,
                   f"{nick} gone with the gateway", logs)
        bridge_gateway.start(bridge_checker)
        account = wait_until(lambda: logged_in_as(bob, nick), 60,
                             f"WHOIS {nick} to show the bridge logged in again", logs)
        assert account.lower() == nick.lower()
        assert password.encode() not in the_plain_bytes(bridge_gateway)
        assert password not in status_of(bridge_gateway)

        note = completed(execute(bridge_checker, "bridge-remove",
                                 {"bridge": name, "keep_state": "0"}))
        assert password not in note
        bob.quit()
    assert password.encode() not in the_plain_bytes(bridge_gateway)

