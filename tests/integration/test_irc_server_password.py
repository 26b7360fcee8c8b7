"""An IRC server password ([Global] Password in ngircd): the registered
server_password is sent as PASS; a wrong one is reported to the user with
ngircd's reason, once, and not retried in a loop.

The users here are on ircnet.localhost (fixed irc_server), whose session
connects as soon as the user is online.
"""

import re

import pytest

from harness.ircgw import (  # noqa: F401 (fixtures)
    IRCNET, gateway, gateway_options, happens_within, irc_checker, irc_prosody, make_irc_user,
    messages, ngircd, transport_notice, unique, wait_until)
from harness.irc import IrcClient

PASSWORD = "s3rver-pass"


@pytest.fixture(scope="module")
def ngircd_password():
    return PASSWORD


@pytest.fixture
def bob(ngircd):
    client = IrcClient(ngircd.port, unique("bobpw"), password=PASSWORD).connect()
    yield client
    client.quit()
    client.close()


def rejections(ngircd, nick):
    return len(re.findall(rf'User "{re.escape(nick)}![^"]*" rejected .*Bad server password',
                          ngircd.log()))


def test_the_right_server_password_lets_the_user_in(make_irc_user, bob):
    alice = make_irc_user(transports=(IRCNET,), server_password=PASSWORD)
    alice.wait_on_irc()
    alice.send(f"{bob.nick}@{IRCNET}", "let in by the password")
    bob.wait_for_privmsg("let in by the password", sender=alice.nick, timeout=30,
                         log_paths=alice.logs)


def test_a_wrong_server_password_is_reported_with_the_reason_once_and_not_retried(
        make_irc_user, ngircd):
    alice = make_irc_user(transports=(IRCNET,), server_password="not-the-password")
    wait_until(lambda: rejections(ngircd, alice.nick) >= 1, 45,
               f"ngircd to reject {alice.nick}'s password", alice.logs)
    notice = alice.wait_message(transport_notice(IRCNET), 30,
                                "a notice about the failed login")
    text = notice.find("{jabber:client}body").text or ""
    assert re.search(r"password|access denied", text, re.I), \
        f"the notice must give the legacy reason, got {text!r}"

    # A retry loop would start within the backoff (1-2 s, then 2-4 s ...):
    # watch for well past two rounds of it.
    def notices():
        return [m.find("{jabber:client}body").text
                for m in messages(alice.client, transport_notice(IRCNET))]
    retried = happens_within(lambda: rejections(ngircd, alice.nick) > 1
                             or len(notices()) > 1, 12)
    assert not retried, (f"a bad server password must not be retried: ngircd rejected "
                         f"{rejections(ngircd, alice.nick)} logins, the user got "
                         f"{len(notices())} notices: {notices()}")
