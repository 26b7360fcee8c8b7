"""SMS sessions over time: across a gateway restart (what the user asked
for is kept with the message in the registry, not in the daemon's memory),
and a session that came up only to send ends once its texts are out.

The whole chain is real (harness/smsgw.py): Prosody, polygate, the worker
with prpl-polygate-sms, Kannel with its fake SMSC.  Kannel's own delivery
report is held back (the proxy strips the dlr-url) so that the report can
be sent only after the restart, the way Kannel sends it: to the dlr-url.
"""

import re
import sqlite3
import threading
import urllib.request

import pytest

from harness import util
from harness.client import to_string
from harness.smsgw import (contact, deliver_dlr, dlr_id, make_sms_user, receipt_for,
                           smsgw, unique_number)

pytestmark = pytest.mark.usefixtures("smsgw")

__all__ = ["smsgw", "make_sms_user"]  # fixtures used by name below


def outbox(smsgw, column, key, value):
    """column of the outbox row whose key is value, read from the daemon's
    database file (WAL: a reader does not disturb the daemon)."""
    db = sqlite3.connect(f"file:{smsgw.daemon.database}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute(f"SELECT {column} FROM sms_outbox WHERE {key} = ?",
                         (value,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


def outbox_state(smsgw, legacy_id):
    return outbox(smsgw, "state", "legacy_id", legacy_id)


def restart_daemon(smsgw):
    smsgw.daemon.stop()
    smsgw.daemon.start(smsgw.checker)
    util.wait_for(lambda: util.port_open("127.0.0.1", smsgw.daemon.http_port), 15,
                  "the restarted daemon's HTTP listener", smsgw.daemon.log_path,
                  alive=lambda: smsgw.daemon.running)


def test_a_receipt_asked_for_before_a_restart_comes_after_it(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    smsgw.proxy.hold_dlr.add(peer)
    msg_id = user.send(peer, "confirm this after the restart", receipt=True)
    mt = smsgw.inbox.wait_to(peer, 30, smsgw.log_paths)
    assert mt.text == "confirm this after the restart", mt
    params = smsgw.proxy.wait_request(lambda p: p.get("to") == peer)
    assert dlr_id(params["dlr-url"]).startswith("pg")
    # Kannel took it, and the daemon recorded that
    assert smsgw.proxy.wait_answered(peer) == [202]
    legacy_id = dlr_id(params["dlr-url"])
    util.wait_for(lambda: outbox_state(smsgw, legacy_id) == "accepted", 20,
                  f"the outbox to record {legacy_id} as accepted", smsgw.daemon.log_path)

    restart_daemon(smsgw)

    status, _ = deliver_dlr(params["dlr-url"], 1, handset=peer)
    assert status == 200
    receipt = user.wait_message(receipt_for(contact(peer), msg_id), 20,
                                f"the receipt for {msg_id} after the restart")
    assert receipt.get("type") != "error", to_string(receipt)


def test_a_text_under_way_at_a_stop_is_answered_first_and_not_sent_twice(
        smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    release = threading.Event()
    smsgw.proxy.hold_reply[peer] = release
    # no delivery report either: it would settle the text before the stop
    smsgw.proxy.hold_dlr.add(peer)
    try:
        user.send(peer, "under way at the stop")
        # Kannel has it (the SMSC got it); its answer is held back
        assert smsgw.inbox.wait_to(peer, 30, smsgw.log_paths).text == "under way at the stop"

        errors = []

        def stop():
            try:
                smsgw.daemon.stop()
            except util.HarnessError as e:
                errors.append(e)

        stopper = threading.Thread(target=stop, name="stop-daemon")
        stopper.start()
        util.wait_for(lambda: "handed to the SMS gateway" in smsgw.daemon.output(), 15,
                      "the stopping daemon to wait for the SMS gateway's answer",
                      smsgw.daemon.log_path)
        release.set()
        stopper.join(30)
        assert not stopper.is_alive(), "the daemon did not stop"
        assert not errors, errors
    finally:
        release.set()
        smsgw.proxy.hold_reply.pop(peer, None)

    smsgw.daemon.start(smsgw.checker)
    util.wait_for(lambda: util.port_open("127.0.0.1", smsgw.daemon.http_port), 15,
                  "the restarted daemon's HTTP listener", smsgw.daemon.log_path,
                  alive=lambda: smsgw.daemon.running)
    # one queue per recipient, oldest first: had the first text been queued
    # again, it would reach the SMSC before this one
    after = user.send(peer, "after the restart")
    assert smsgw.inbox.wait_to(peer, 30, smsgw.log_paths).text == "after the restart"
    # and at the first attempt: the session that comes up to send it (the
    # user's presence is not known yet after a restart) keeps its account
    # while the request is under way
    user.send(peer, "and one more")
    assert smsgw.inbox.wait_to(peer, 30, smsgw.log_paths).text == "and one more"
    assert outbox(smsgw, "attempts", "xmpp_id", after) == 1


def metric(smsgw, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{smsgw.http_port}/metrics",
                                timeout=5) as reply:
        text = reply.read().decode()
    return int(re.search(rf"^{name} (\d+)$", text, re.M).group(1))


def test_a_session_that_only_sends_ends_once_its_text_is_out(smsgw, make_sms_user):
    # The text waits for a retry (sendsms "down" for this number) while its
    # user goes offline altogether: nothing but the outbox brings the
    # session (and a worker) up for the retry, and nothing but the outbox
    # can end it.
    user = make_sms_user(online=False)
    peer = unique_number("+4915")
    smsgw.proxy.hold_dlr.add(peer)
    smsgw.proxy.reset.add(peer)
    sent = user.send(peer, "just this one")
    util.wait_for(lambda: (outbox(smsgw, "state", "xmpp_id", sent),
                           outbox(smsgw, "attempts", "xmpp_id", sent)) == ("queued", 1), 20,
                  "the text to wait for a retry", smsgw.daemon.log_path)
    user.client.disconnect()
    smsgw.proxy.reset.discard(peer)

    assert smsgw.inbox.wait_to(peer, 30, smsgw.log_paths).text == "just this one"
    util.wait_for(lambda: outbox(smsgw, "state", "xmpp_id", sent) == "accepted", 20,
                  "Kannel's answer to be recorded", smsgw.daemon.log_path)

    def sessions(what):
        return smsgw.daemon.output().count(f"session of {user.jid} {what}")
    util.wait_for(lambda: sessions("started") == sessions("ended"), 30,
                  "every session of the user to end", smsgw.daemon.log_path)
    util.wait_for(lambda: metric(smsgw, "polygate_workers") == 0, 30,
                  "its worker to stop", smsgw.daemon.log_path)
