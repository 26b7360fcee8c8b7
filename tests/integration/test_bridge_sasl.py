"""A configured bridge logs its IRC client in with SASL PLAIN
(sasl_password_file; issue 11: the bridge's IRC client "is SASL-registered"),
seen by another client as WHOIS 330.  The IRC network is inspircd + atheme
(harness/services.py): ngircd has no SASL.
"""

import os

import pytest

from harness import services as irc_services
from harness.bridge import (  # noqa: F401 (fixtures)
    bridge_checker, bridge_configs, bridge_gateway, bridge_options, bridge_prosody)
from harness.irc import IrcClient
from harness.ircgw import unique, wait_until

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

