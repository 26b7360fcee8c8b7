"""Sessions match the XMPP server's truth: Prosody's answer to the probe.

RFC 6121 §4.3.2: a server answers a probe for an account with no available
resource with an unavailable presence (Prosody does).  The gateway takes
that answer at once, without waiting for [xmpp] probe_timeout (set to 10
minutes here, far beyond the test's deadline): a user whose session died
with the crashed server is logged out of IRC as soon as the component is
back.  (test_ejabberd_sessions.py covers the deadline, against a server
that does not answer.)
"""

import re
import signal

import pytest

from harness import util
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRCNET, gateway, irc_checker, irc_prosody, make_irc_client, make_irc_user, ngircd,
    ngircd_password, unique)


@pytest.fixture(scope="module")
def gateway_options():
    return {"xmpp": {"probe_timeout": 600}}


def test_a_user_the_server_reports_unavailable_is_logged_out_at_once(
        gateway, irc_prosody, irc_checker, make_irc_user, make_irc_client):
    user = make_irc_user(transports=(IRCNET,), online=False)
    user.client.wait_for_presence(IRCNET, "subscribe")
    user.client.send_presence(IRCNET, "subscribed")
    user.go_online(IRCNET)
    user.wait_on_irc()
    bob = make_irc_client("bob")
    channel = "#" + unique("au")
    bob.join(channel)
    user.join(channel, IRCNET)
    bob.wait_for(lambda l: l.is_("JOIN", nick=user.nick, target=channel), 30,
                 f"{user.nick} to JOIN {channel}", user.logs)
    pid = gateway.pid

    # a crash: no stream is closed, no unavailable presence goes out
    irc_prosody.proc.send_signal(signal.SIGKILL)
    irc_prosody.proc.wait(timeout=30)
    user.client.disconnect()
    irc_prosody.start()
    irc_checker.reconnect()
    gateway.wait_ready(irc_checker, timeout=60)

    bob.wait_for(lambda l: l.is_("QUIT", nick=user.nick), 60,
                 f"{user.nick} to QUIT once the server reported her unavailable", user.logs)
    assert re.search(rf"{re.escape(user.jid)}/\S+ is not online on the XMPP server any more "
                     r"\(the server answered the probe: unavailable\)", gateway.output()), \
        gateway.tail()
    assert gateway.running and gateway.pid == pid
    util.wait_for(lambda: f"session of {user.jid} ended" in gateway.output(), 10,
                  "the session to end", gateway.log_path)
