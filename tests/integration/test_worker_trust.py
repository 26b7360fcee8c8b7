"""A worker is an untrusted peer (issue 8, item 5): the daemon started with
worker = hostile-worker (tests/unit/hostile-worker.c, test-only), which
answers an IRC login for a nick starting with "liar" with "connected" and
then a room message in the name of an account the daemon never placed on
it.  The daemon must kill it, log it with its pid, and treat it as any
crashed worker: the user is told and the link reconnects.  The daemon
itself stays up."""

import ctypes
import os
import re
import urllib.request

import pytest

from harness import util
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, join_room, gateway, irc_checker, irc_prosody, make_irc_user, ngircd,
    ngircd_password, notice_from, body, room_jid, unique, wait_message)
from harness.polygate import find_binary

LIE = re.compile(r'worker \d+ \(pid (\d+)\) sent room-message for account '
                 r'"mallory@evil/irc", which is not placed on it: killing it')


@pytest.fixture(scope="module")
def gateway_options():
    binary = find_binary()
    hostile = os.path.join(os.path.dirname(binary or "."), "..", "tests", "unit",
                           "hostile-worker")
    if not os.access(hostile, os.X_OK):
        pytest.fail(f"{hostile} is not built", pytrace=False)
    return {"global": {"worker": os.path.abspath(hostile)}}


def test_a_worker_speaking_for_an_account_it_does_not_hold_is_killed(gateway, make_irc_user):
    daemon_pid = gateway.pid
    user = make_irc_user(nick=unique("liar"))
    join_room(user.client, room_jid("#" + unique("c")), user.nick)

    util.wait_for(lambda: LIE.search(gateway.output()), 60, "the daemon to kill the liar",
                  gateway.log_path)
    worker_pid = int(LIE.search(gateway.output()).group(1))
    # killed and reaped: no child of that pid, not even a zombie
    util.wait_for(lambda: worker_pid not in util.children_named(daemon_pid, "hostile-worker"),
                  30, f"worker {worker_pid} to be gone", gateway.log_path)
    # its user goes through the crash path: told, and reconnected
    message = wait_message(user.client, lambda m: notice_from(IRC)(m) and
                           "it sent an event it may not send" in (body(m) or ""), 60,
                           "a notice that the worker was killed", user.logs)
    assert "Reconnecting" in body(message), body(message)
    util.wait_for(lambda: len(LIE.findall(gateway.output())) >= 2, 90,
                  "the reconnect to start a new worker (which lies again)", gateway.log_path)
    assert gateway.running and gateway.pid == daemon_pid
    for match in LIE.finditer(gateway.output()):
        pid = int(match.group(1))
        util.wait_for(lambda: pid not in util.children_named(daemon_pid, "hostile-worker"),
                      30, f"worker {pid} to be reaped", gateway.log_path)
    # the lie never became a stanza
    assert "in someone else's name" not in gateway.output()


def test_metrics_say_which_sandbox_the_workers_get(gateway):
    # what the worker's own sandbox finds: landlock_create_ruleset(NULL, 0,
    # LANDLOCK_CREATE_RULESET_VERSION) (x86-64 syscall 444), 0 without Landlock
    abi = max(ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1), 0)
    url = f"http://127.0.0.1:{gateway.http_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as reply:
        text = reply.read().decode()
    assert re.search(rf"^polygate_worker_sandbox_abi {abi}$", text, re.M), text
    if abi:
        assert f"workers run in a Landlock sandbox (ABI {abi})" in gateway.output()
    else:
        assert "the kernel offers no Landlock" in gateway.output()
