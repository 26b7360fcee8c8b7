"""Per-user SMS rates (issue 8, item 4), through the real chain
(harness/smsgw.py: Prosody, polygate, the worker with prpl-polygate-sms,
Kannel with its fake SMSC): past max_sms_per_minute_per_user or
max_sms_per_day_per_user a text gets an error message naming the limit,
and is not taken into the outbox.  The day is counted from the outbox, so a
restart of the gateway does not reset it.
"""

import os
import sqlite3

import pytest

from harness import util
from harness.client import to_string
from harness.metrics import metric, metrics
from harness.polygate import find_binary
from harness.smsgw import SmsGateway, error_for, error_of, make_sms_user, unique_number
from harness import kannel as kannel_harness

__all__ = ["make_sms_user"]  # fixture used by name below

PER_MINUTE = 3
PER_DAY = 4
SMS = "sms.localhost"


@pytest.fixture(scope="module")
def smsgw(tmp_path_factory, cert_dir):
    if not kannel_harness.available():
        pytest.skip("Kannel (bearerbox, smsbox) is not installed")
    binary = find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"polygate binary not found ({binary}); set POLYGATE_BIN", pytrace=False)
    gateway = SmsGateway(str(tmp_path_factory.mktemp("smsgw-limits")), cert_dir, binary,
                         transport_options={"max_sms_per_minute_per_user": PER_MINUTE,
                                            "max_sms_per_day_per_user": 1000})
    try:
        gateway.start()
    except BaseException:
        try:
            gateway.stop()
        except util.HarnessError:
            pass
        raise
    yield gateway
    gateway.stop()


def outbox_rows(smsgw, user_jid):
    db = sqlite3.connect(f"file:{smsgw.daemon.database}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM sms_outbox WHERE user_jid = ?",
                          (user_jid.split("/")[0],)).fetchone()[0]
    finally:
        db.close()


def restart(smsgw):
    smsgw.daemon.stop()
    smsgw.daemon.start(smsgw.checker)
    util.wait_for(lambda: util.port_open("127.0.0.1", smsgw.daemon.http_port), 15,
                  "the restarted daemon's HTTP listener", smsgw.daemon.log_path,
                  alive=lambda: smsgw.daemon.running)


def send_and_arrive(smsgw, user, peer, text):
    user.send(peer, text)
    assert smsgw.inbox.wait_to(peer, 30, smsgw.log_paths).text == text


def test_a_text_past_max_sms_per_minute_per_user_gets_an_error_and_is_not_sent(
        smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    pid = smsgw.daemon.pid
    for i in range(PER_MINUTE):
        send_and_arrive(smsgw, user, peer, f"text {i} of this minute")

    msg_id = user.send(peer, "one too many this minute")
    reply = user.wait_message(error_for(msg_id), 30, "the error for the text")
    kind, condition, text = error_of(reply)
    assert (kind, condition) == ("wait", "resource-constraint"), to_string(reply)
    assert f"max_sms_per_minute_per_user = {PER_MINUTE}" in text, to_string(reply)
    # refused before the outbox: never sent, not later either
    assert outbox_rows(smsgw, user.jid) == PER_MINUTE
    values = metrics(smsgw.daemon)
    assert metric(values, "polygate_limit_rejections_total", transport=SMS,
                  limit="sms_per_minute") == 1, values
    assert metric(values, "polygate_limit_per_user", transport=SMS,
                  limit="sms_per_minute") == PER_MINUTE, values
    assert smsgw.daemon.running and smsgw.daemon.pid == pid


def test_the_day_limit_counts_the_texts_sent_before_a_restart(smsgw, make_sms_user):
    # no minute limit now, four a day
    smsgw.daemon.transports[0]["max_sms_per_minute_per_user"] = 0
    smsgw.daemon.transports[0]["max_sms_per_day_per_user"] = PER_DAY
    smsgw.daemon.write_config()
    restart(smsgw)
    user = make_sms_user()
    peer = unique_number("+4915")
    for i in range(PER_DAY - 1):
        send_and_arrive(smsgw, user, peer, f"text {i} of today")

    restart(smsgw)
    send_and_arrive(smsgw, user, peer, "the last one today")
    msg_id = user.send(peer, "one too many today")
    reply = user.wait_message(error_for(msg_id), 30, "the error for the text")
    kind, condition, text = error_of(reply)
    assert (kind, condition) == ("cancel", "policy-violation"), to_string(reply)
    assert f"max_sms_per_day_per_user = {PER_DAY}" in text, to_string(reply)
    assert outbox_rows(smsgw, user.jid) == PER_DAY
    values = metrics(smsgw.daemon)
    assert metric(values, "polygate_limit_rejections_total", transport=SMS,
                  limit="sms_per_day") == 1, values
