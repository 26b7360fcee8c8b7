"""SMS across a gateway restart: what the user asked for is kept with the
message in the registry, not in the daemon's memory.

The whole chain is real (harness/smsgw.py): Prosody, polygate, the worker
with prpl-polygate-sms, Kannel with its fake SMSC.  Kannel's own delivery
report is held back (the proxy strips the dlr-url) so that the report can
be sent only after the restart, the way Kannel sends it: to the dlr-url.
"""

import sqlite3

import pytest

from harness import util
from harness.client import to_string
from harness.smsgw import (contact, deliver_dlr, dlr_id, make_sms_user, receipt_for,
                           smsgw, unique_number)

pytestmark = pytest.mark.usefixtures("smsgw")

__all__ = ["smsgw", "make_sms_user"]  # fixtures used by name below


def outbox_state(smsgw, legacy_id):
    """The state of the outbox row with legacy_id, read from the daemon's
    database file (WAL: a reader does not disturb the daemon)."""
    db = sqlite3.connect(f"file:{smsgw.daemon.database}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT state FROM sms_outbox WHERE legacy_id = ?",
                         (legacy_id,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


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
