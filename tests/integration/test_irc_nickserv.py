"""NickServ on a network with services (inspircd + atheme): the NickServ
password in the user's registration logs the user into their account (SASL
PLAIN where offered, as here).  Skipped where inspircd or atheme-services is
not installed (contrib/scripts/install-deps.sh does not install them)."""

import pytest

from harness import services as irc_services
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRCNET, gateway, gateway_options, irc_checker, irc_prosody, make_irc_user,
    transport_notice, unique, wait_until)
from harness.irc import IrcClient
from test_irc_server_secrets import configured

if not irc_services.available():
    pytest.skip("inspircd and atheme-services are not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory):
    """Here the IRC network is inspircd + atheme (the gateway fixture takes
    its port and logs from whatever `ngircd` is)."""
    network = irc_services.IrcServices(str(tmp_path_factory.mktemp("services")))
    network.start()
    yield network
    network.stop()


def logged_in_as(bob, nick):
    """The account WHOIS shows for nick (numeric 330), or None."""
    for line in bob.whois(nick):
        if line.command == "330" and len(line.params) > 2:
            return line.params[2]
    return None


def test_a_registered_nickserv_password_logs_the_user_into_the_account(
        ngircd, make_irc_user):
    nick = unique("ns")
    ngircd.register_account(nick, "n1ckserv-pw")
    alice = make_irc_user(transports=(IRCNET,), nick=nick, password="n1ckserv-pw")
    with IrcClient(ngircd.port, unique("bob")).connect() as bob:
        account = wait_until(lambda: logged_in_as(bob, nick), 60,
                             f"WHOIS {nick} to show it logged in (330)",
                             alice.logs + ngircd.log_paths)
        assert account.lower() == nick.lower()
        bob.quit()


def test_a_wrong_nickserv_password_does_not_log_the_user_in_and_tells_them(
        ngircd, make_irc_user):
    nick = unique("ns")
    ngircd.register_account(nick, "the-right-pw")
    alice = make_irc_user(transports=(IRCNET,), nick=nick, password="a-wrong-pw")
    notice = alice.wait_message(transport_notice(IRCNET), 60,
                                "a notice about the failed NickServ login")
    text = notice.find("{jabber:client}body").text or ""
    assert "password" in text.lower() or "auth" in text.lower(), text


def test_a_sasl_password_configured_for_the_server_logs_the_user_in(ngircd, make_irc_user):
    """The password set in the server's configure form (issue 10, item 2),
    with none in the registration."""
    nick = unique("nc")
    ngircd.register_account(nick, "c0nfigured-pw")
    alice = make_irc_user(transports=(IRCNET,), nick=nick, online=False)
    configured(alice.client, IRCNET, {"password": "c0nfigured-pw"})
    alice.go_online(IRCNET)
    with IrcClient(ngircd.port, unique("bob")).connect() as bob:
        account = wait_until(lambda: logged_in_as(bob, nick), 60,
                             f"WHOIS {nick} to show it logged in (330)",
                             alice.logs + ngircd.log_paths)
        assert account.lower() == nick.lower()
        bob.quit()


def test_a_wrong_configured_sasl_password_tells_the_user(ngircd, make_irc_user):
    nick = unique("nc")
    ngircd.register_account(nick, "the-right-pw")
    alice = make_irc_user(transports=(IRCNET,), nick=nick, online=False)
    configured(alice.client, IRCNET, {"password": "a-wrong-pw"})
    alice.go_online(IRCNET)
    notice = alice.wait_message(transport_notice(IRCNET), 60,
                                "a notice about the failed NickServ login")
    text = notice.find("{jabber:client}body").text or ""
    assert "password" in text.lower() or "auth" in text.lower(), text
