"""The daemon rides out a restart of the XMPP server: it reconnects each
component with backoff (from ~0.5 s, capped) and never exits."""

from harness import util
from harness.client import to_string
from harness.xep import is_registered, register_form, register_get

RECONNECT_DEADLINE = 40


def test_transports_answer_again_after_the_xmpp_server_restarts(polygate, prosody, checker,
                                                                make_user):
    pid = polygate.pid
    prosody.restart()
    checker.reconnect()
    # wait_ready polls disco#info on every transport and fails fast if the
    # daemon exits meanwhile.
    polygate.wait_ready(checker, RECONNECT_DEADLINE)
    assert polygate.running and polygate.pid == pid

    user = make_user()
    reply = user.iq_set("irc.localhost", register_form({"nick": "afterrestart"}))
    assert reply.get("type") == "result", to_string(reply)
    assert is_registered(user.iq_get("irc.localhost", register_get()))


def test_registrations_made_before_a_server_restart_are_still_there(polygate, prosody, checker,
                                                                    make_user):
    user = make_user()
    reply = user.iq_set("sms.localhost", register_form({"phone": "+15550100301"}))
    assert reply.get("type") == "result", to_string(reply)
    user.disconnect()
    prosody.restart()
    checker.reconnect()
    polygate.wait_ready(checker, RECONNECT_DEADLINE)
    user.reconnect()
    assert is_registered(user.iq_get("sms.localhost", register_get()))


def test_daemon_survives_two_restarts_in_a_row(polygate, prosody, checker):
    for _ in range(2):
        prosody.restart()
        checker.reconnect()
        polygate.wait_ready(checker, RECONNECT_DEADLINE)
    util.wait_for(lambda: polygate.running, 1, "polygate to be running", polygate.log_path)
