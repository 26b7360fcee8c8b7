"""Nothing from Kannel is lost while the XMPP side is away (issue 8, item 7).

An inbound SMS or a delivery report that reaches the daemon while its
component is disconnected from the XMPP server is kept, sealed, in the
registry (table sms_inbox) and delivered once the component is back, in
the order it came, exactly once.  The chain is the real one: the fake SMSC
hands a mobile-originated line to Kannel's bearerbox, smsbox calls the
daemon's get-url, and Prosody is really stopped and started again.

Every wait has a deadline; nothing waits on a sleep.
"""

import os
import signal

import pytest

from harness import util
from harness.client import to_string
from harness.smsgw import (SMS, chat_from, contact, deliver_dlr, make_sms_user, receipt_for,
                           smsgw, unique_number)

pytestmark = pytest.mark.usefixtures("smsgw")

__all__ = ["smsgw", "make_sms_user"]  # fixtures used by name below

OUTAGE_DEADLINE = 60


def _count(text, needle):
    return text.count(needle)


def _stop_prosody(smsgw):
    """Stop Prosody and wait until the daemon saw its component go."""
    before = _count(smsgw.daemon.output(), f"{SMS}: disconnected from")
    smsgw.prosody.stop()
    util.wait_for(lambda: _count(smsgw.daemon.output(), f"{SMS}: disconnected from") > before,
                  30, "the daemon to see the component disconnected", smsgw.daemon.log_path)


def _start_prosody(smsgw, *users):
    smsgw.prosody.start()
    smsgw.checker.reconnect()
    for user in users:
        user.client.reconnect()
    smsgw.daemon.wait_ready(smsgw.checker, OUTAGE_DEADLINE)


def _inbound_handled(smsgw):
    return _count(smsgw.daemon.output(), "inbound SMS on ")


def _bodies_from(user, jid):
    """Every chat body from @jid the client got, across reconnects, in order."""
    with user.client._cond:
        return [m.findtext("{jabber:client}body") for m in user.client.every_message
                if chat_from(jid)(m)]


def _database_files(smsgw):
    directory = os.path.dirname(smsgw.daemon.config_path)
    found = []
    for root, _, names in os.walk(directory):
        found += [os.path.join(root, n) for n in names if ".db" in n]
    return found


def test_sms_that_arrive_while_prosody_is_down_arrive_once_and_in_order_after_it_is_back(
        smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    smsgw.smsc.send_mo(peer, user.number, "before the outage")
    user.wait_message(chat_from(contact(peer), "before the outage"), 30, "the first SMS")

    texts = [f"while the XMPP server is down {i} of 5" for i in range(1, 6)]
    _stop_prosody(smsgw)
    try:
        # one at a time: smsbox makes its get-url requests concurrently, so
        # only what the daemon received has an order to keep
        for text in texts:
            handled = _inbound_handled(smsgw)
            smsgw.smsc.send_mo(peer, user.number, text)
            util.wait_for(lambda: _inbound_handled(smsgw) > handled, 30,
                          f"the daemon to take {text!r} from Kannel", smsgw.daemon.log_path)
        # kept sealed: no text on disk
        for path in _database_files(smsgw):
            with open(path, "rb") as f:
                data = f.read()
            assert b"while the XMPP server is down" not in data, path
    finally:
        _start_prosody(smsgw, user)

    def all_arrived():
        got = [b for b in _bodies_from(user, contact(peer)) if b in texts]
        return len(got) >= len(texts)

    util.wait_for(all_arrived, OUTAGE_DEADLINE, "the five SMS kept during the outage",
                  smsgw.daemon.log_path)
    user.fence()
    got = [b for b in _bodies_from(user, contact(peer)) if b in texts]
    assert got == texts, f"want each once and in order, got {got}"


def test_a_delivery_report_that_arrives_while_prosody_is_down_becomes_a_receipt_after(
        smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    smsgw.proxy.hold_dlr.add(peer)
    msg_id = user.send(peer, "report me later", msg_id="kept-receipt-1")
    smsgw.inbox.wait_to(peer, 30, smsgw.log_paths)
    params = smsgw.proxy.wait_request(lambda p: p.get("to") == peer)

    _stop_prosody(smsgw)
    try:
        status, _ = deliver_dlr(params["dlr-url"], 1, handset=peer)
        assert status == 200
    finally:
        _start_prosody(smsgw, user)
    receipt = user.client.wait_every_message(receipt_for(contact(peer), msg_id),
                                             OUTAGE_DEADLINE, "the receipt kept during the outage")
    assert receipt.get("type") != "error", to_string(receipt)
    user.fence()
    with user.client._cond:
        receipts = [m for m in user.client.every_message if receipt_for(contact(peer), msg_id)(m)]
    assert len(receipts) == 1, "one report, one receipt"


def test_sms_kept_while_prosody_is_down_survive_a_crash_of_the_daemon(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    texts = [f"kept across a crash {i} of 3" for i in range(1, 4)]
    kept = f"kept an item for {user.jid} until"
    _stop_prosody(smsgw)
    try:
        for text in texts:
            before = smsgw.daemon.output().count(kept)
            smsgw.smsc.send_mo(peer, user.number, text)
            # logged after the commit, before Kannel gets its 200
            util.wait_for(lambda: smsgw.daemon.output().count(kept) > before, 30,
                          f"the daemon to keep {text!r}", smsgw.daemon.log_path)
        proc, smsgw.daemon.proc = smsgw.daemon.proc, None
        util.stop_process(proc, sig=signal.SIGKILL)
    finally:
        smsgw.prosody.start()
        smsgw.checker.reconnect()
        user.client.reconnect()
        smsgw.daemon.start(smsgw.checker, OUTAGE_DEADLINE)

    util.wait_for(lambda: len([b for b in _bodies_from(user, contact(peer)) if b in texts])
                  >= len(texts), OUTAGE_DEADLINE, "the SMS kept before the crash",
                  smsgw.daemon.log_path)
    user.fence()
    got = [b for b in _bodies_from(user, contact(peer)) if b in texts]
    assert got == texts, f"want each once and in order, got {got}"
