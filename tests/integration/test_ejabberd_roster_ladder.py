"""The roster ladder on Debian's ejabberd 23.01 with mod_privilege (issue 9, item 5).

ejabberd grants the transport roster access "both" in XEP-0356's older
namespace, urn:xmpp:privilege:1, which the gateway takes; but 23.01 answers
every privileged roster write with an error (ejabberd issue #3942).  The
gateway must cope: the legacy buddy list reaches the user by the next rung
(here subscription requests, the test client taking no XEP-0144), and the
user's ad-hoc command says so, and why.  The legacy network is a Prosody
host, as in test_jabber_roster.py.

Run: POLYGATE_BIN=build-test/src/polygate /usr/bin/python3 -m pytest \
     tests/integration/test_ejabberd_roster_ladder.py
"""

import os

import pytest

from harness import ejabberd as ejabberd_harness
from harness import util
from harness.client import XmppClient, befriend
from harness.jabber import (  # noqa: F401 (a fixture)
    CHECKER, GATEWAY, LEGACY, TRANSPORT, contact, legacy_prosody,
    no_leak_check_for_prpl_jabber, register_and_log_in, roster_command)
from harness.polygate import Polygate


@pytest.fixture(scope="module")
def ejabberd_gateway(tmp_path_factory, cert_dir, polygate_binary,
                     no_leak_check_for_prpl_jabber):
    if not ejabberd_harness.available():
        pytest.fail("ejabberd is not installed (contrib/scripts/install-deps.sh installs it)",
                    pytrace=False)
    legacy = legacy_prosody(tmp_path_factory.mktemp("prosody-legacy"), cert_dir,
                            ("ejuser", "ejpal"),
                            components=("unused.localhost",))  # the harness waits for its port
    server = ejabberd_harness.Ejabberd(str(tmp_path_factory.mktemp("ejabberd-ladder")),
                                       components=(GATEWAY,), privileged={GATEWAY: "both"})
    checker = daemon = None
    try:
        # inside: a start that fails half way still gets its process stopped
        legacy.start()
        befriend(legacy, f"ejuser@{LEGACY}", f"ejpal@{LEGACY}")
        server.start()
        server.create_user("harness")
        checker = XmppClient(CHECKER, server.passwords[CHECKER], port=server.c2s_port).connect()
        daemon = Polygate(polygate_binary, str(tmp_path_factory.mktemp("polygate-ejabberd")),
                          server, transports=[TRANSPORT])
        daemon.start(checker, timeout=60)
        yield legacy, server, daemon
    finally:
        if checker is not None:
            checker.disconnect()
        try:
            if daemon is not None:
                daemon.stop()
        finally:
            try:
                server.stop()
            finally:
                legacy.stop()


def test_a_refused_privileged_write_falls_back_to_subscription_requests(ejabberd_gateway):
    legacy, server, daemon = ejabberd_gateway
    pal_jid = f"ejpal@{LEGACY}"
    pal_contact = contact(pal_jid)
    # ejabberd 23.01 grants in the old namespace, and the gateway takes it
    util.wait_for(lambda: "grants roster access: get set (XEP-0356, urn:xmpp:privilege:1)"
                  in util.log_tail(daemon.log_path, 100000), 30,
                  "the gateway to take ejabberd's grant", daemon.log_path)
    jid = server.create_user(f"ejl{os.getpid()}")
    user = XmppClient(jid, server.passwords[jid], port=server.c2s_port).connect()
    try:
        register_and_log_in(user, legacy, "ejuser")

        # the write is refused: the buddy asks to be added instead
        user.wait_for_presence(from_=pal_contact, ptype="subscribe", timeout=90)
        mode, note = roster_command(user)
        assert mode == "subscription", (mode, note)
        assert "refused privileged roster pushes" in note, note
    finally:
        user.disconnect()
