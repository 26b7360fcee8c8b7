"""SMS through the whole gateway: a slixmpp user registered on sms.localhost
with their number, Prosody, polygate, the worker with prpl-polygate-sms, a
real Kannel (bearerbox + smsbox) and a fake SMSC (harness/smsgw.py).

Every wait has a deadline; nothing waits on a sleep.
"""

import os
import threading
import time
import urllib.parse

import pytest

from harness import util
from harness.client import XmppClient, to_string
from harness.smsgw import (SMS, chat_from, consume_all, contact, deliver_dlr, dlr_id,
                           error_for, error_of, http_get, make_sms_user, receipt_for,
                           smsgw, unique_number)

pytestmark = pytest.mark.usefixtures("smsgw")

__all__ = ["smsgw", "make_sms_user"]  # fixtures used by name below


def assert_arrives(smsgw, user, peer, text):
    mt = smsgw.inbox.wait_to(peer, 30, smsgw.log_paths)
    assert (mt.sender, mt.receiver, mt.text) == (user.number, peer, text), mt
    return mt


# -- XMPP -> SMS ----------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, parts", [
    ("Hello from XMPP, plain ASCII: 1+1=2 & <ok>", "text", 1),
    ("Grüße aus Köln: héllo à Zürich, ¿Ñ? 5€", "text", 1),
    ("ça va 😀 👍🏽", "ucs-2", 1),
    (("abcdefghijklmnopqrstuvwxyz " * 16)[:391] + " the end.", "text", 3),
], ids=["ascii", "accented-latin", "emoji", "400-characters"])
def test_a_message_to_a_number_arrives_at_the_smsc_from_the_users_number(
        smsgw, make_sms_user, text, kind, parts):
    user = make_sms_user()
    peer = unique_number("+4915")
    user.send(peer, text)
    mt = assert_arrives(smsgw, user, peer, text)
    assert (mt.kind, mt.parts) == (kind, parts), mt


def test_the_sendsms_request_carries_the_daemons_dlr_url(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    user.send(peer, "which dlr-url?")
    assert_arrives(smsgw, user, peer, "which dlr-url?")
    params = smsgw.proxy.wait_request(lambda p: p.get("to") == peer)
    assert (params["from"], params["smsc"], params["dlr-mask"]) == (user.number, "fake", "31")
    url = urllib.parse.urlsplit(params["dlr-url"])
    query = dict(urllib.parse.parse_qsl(url.query))
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", smsgw.http_port, "/kannel/dlr")
    assert query["token"] == smsgw.token
    assert query["id"].startswith("pg") and query["id"][2:].isdigit(), query
    assert query["status"] == "%d"


def test_a_texted_contact_asks_for_a_subscription(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    user.send(peer, "hi, new contact")
    presence = user.wait_presence(
        lambda p: p.get("from") == contact(peer) and p.get("type") == "subscribe",
        30, f"subscribe from {contact(peer)}")
    assert presence is not None
    assert_arrives(smsgw, user, peer, "hi, new contact")


def test_a_delivery_report_becomes_a_receipt_with_the_users_message_id(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    msg_id = user.send(peer, "please confirm", msg_id="receipt-me-1")
    assert_arrives(smsgw, user, peer, "please confirm")
    receipt = user.wait_message(receipt_for(contact(peer), msg_id), 30,
                                f"a receipt for {msg_id}")
    assert receipt.get("type") != "error", to_string(receipt)


def test_a_failed_delivery_report_becomes_a_message_error(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    # Kannel's fake SMSC cannot fail a message: hold back its DLR request
    # and report the failure to the daemon's dlr-url as Kannel would
    smsgw.proxy.hold_dlr.add(peer)
    msg_id = user.send(peer, "this one will not arrive")
    assert_arrives(smsgw, user, peer, "this one will not arrive")
    params = smsgw.proxy.wait_request(lambda p: p.get("to") == peer)
    assert dlr_id(params["dlr-url"]).startswith("pg")
    status, _ = deliver_dlr(params["dlr-url"], 2, answer="NACK/0x0000000b/Invalid Destination",
                            handset=peer)
    assert status == 200
    error = user.wait_message(error_for(msg_id), 30, f"a message error for {msg_id}")
    assert (error.get("from") or "").split("/")[0] == contact(peer), to_string(error)
    etype, condition, text = error_of(error)
    assert (etype, condition) == ("cancel", "recipient-unavailable"), to_string(error)
    assert "Invalid Destination" in (text or ""), to_string(error)
    # no receipt for it, and a second report changes nothing (the daemon
    # acts on a report before it answers it; the fence lets through what it
    # sent the user meanwhile)
    assert deliver_dlr(params["dlr-url"], 2, handset=peer)[0] == 200
    user.fence()
    assert not [m for m in _messages(user) if m.find("{urn:xmpp:receipts}received")
                is not None and (m.get("from") or "").startswith(peer)]
    assert len([m for m in _messages(user) if error_for(msg_id)(m)]) == 1, \
        "a second failed report must not send a second error"


def test_a_delivery_report_that_overtakes_kannels_answer_does_not_stall_the_queue(
        smsgw, make_sms_user):
    # The fake SMSC reports delivery within milliseconds; Kannel's answer to
    # the sendsms request travels back through the worker and may come later.
    # Hold that answer until the report (its receipt) is through.
    user = make_sms_user()
    peer = unique_number("+4915")
    release = threading.Event()
    smsgw.proxy.hold_reply[peer] = release
    try:
        first = user.send(peer, "first, answered late")
        second = user.send(peer, "second, queued behind it")
        assert_arrives(smsgw, user, peer, "first, answered late")
        user.wait_message(receipt_for(contact(peer), first), 30, "the receipt of the first")
    finally:
        release.set()
    assert_arrives(smsgw, user, peer, "second, queued behind it")
    user.wait_message(receipt_for(contact(peer), second), 30, "the receipt of the second")


def _messages(user):
    with user.client._cond:
        return [m for _, m in user.client.all_messages]


def test_five_texts_sent_while_smsbox_is_down_all_arrive_in_order(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    user.send(peer, "warm-up")
    assert_arrives(smsgw, user, peer, "warm-up")
    # stop smsbox only once its answer to the warm-up went back (else that
    # answer is lost and the warm-up is rightly sent again)
    assert smsgw.proxy.wait_answered(peer) == [202]
    texts = [f"queued {i} of 5" for i in range(1, 6)]
    smsgw.kannel.stop_smsbox()
    try:
        for text in texts:
            user.send(peer, text)
        # the first attempt fails (no sendsms): the daemon retries with backoff
        # (this user's own failure: not one an earlier test left in the log)
        failed = f" of {user.jid}: Kannel did not take it"
        util.wait_for(lambda: failed in smsgw.daemon.output(), 30,
                      "the daemon to see the temporary failure", smsgw.daemon.log_path)
    finally:
        smsgw.kannel.start_smsbox()
    got = [smsgw.inbox.wait_to(peer, 60, smsgw.log_paths) for _ in texts]
    assert [m.text for m in got] == texts
    assert all(m.sender == user.number for m in got)


# -- SMS -> XMPP ------------------------------------------------------------------------

def test_an_sms_reaches_an_online_user_as_chat_from_the_sender(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    # the link is up once an SMS went out through it
    user.send(peer, "ping")
    assert_arrives(smsgw, user, peer, "ping")
    for text in ("pong, from a phone", "Grüße, ça va?"):
        smsgw.smsc.send_mo(peer, user.number, text)
        message = user.wait_message(chat_from(contact(peer), text), 30,
                                    f"the SMS {text!r} from {peer}")
        assert message.get("to").split("/")[0] == user.jid


def test_an_sms_from_a_new_number_asks_for_a_subscription(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    smsgw.smsc.send_mo(peer, user.number, "who am I?")
    user.wait_message(chat_from(contact(peer), "who am I?"), 30, "the SMS")
    user.wait_presence(lambda p: p.get("from") == contact(peer)
                       and p.get("type") == "subscribe", 30, "subscribe from the sender")


def test_an_sms_for_an_offline_user_waits_in_prosodys_offline_store(smsgw, make_sms_user):
    user = make_sms_user(online=False)
    jid, password = user.jid, smsgw.prosody.passwords[user.jid]
    user.client.disconnect()
    peer = unique_number("+4915")
    store = smsgw.prosody_offline_file(user.localpart)
    assert not os.path.exists(store)

    smsgw.smsc.send_mo(peer, user.number, "you were away")
    util.wait_for(lambda: os.path.exists(store) and os.path.getsize(store) > 0, 30,
                  f"Prosody to store the SMS offline ({store})", smsgw.daemon.log_path)

    client = XmppClient(jid, password, port=smsgw.prosody.c2s_port).connect()
    try:
        with client._cond:
            found = client._cond.wait_for(
                lambda: [m for _, m in client._messages
                         if chat_from(contact(peer), "you were away")(m)], 20)
            seen = [to_string(m) for _, m in client._messages]
        assert found, f"offline SMS not delivered on login; got {seen}"
        client.wait_for_presence(contact(peer), "subscribe", 20)
    finally:
        client.disconnect()


# -- Kannel's callbacks and errors --------------------------------------------------------

def test_a_wrong_token_is_403(smsgw, make_sms_user):
    user = make_sms_user(online=False)
    status, _ = smsgw.call_inbound(token="0" * 32, **{"from": "+491510000099",
                                                     "to": user.number, "text": "x"})
    assert status == 403
    status, _ = http_get(f"http://127.0.0.1:{smsgw.http_port}/kannel/inbound?"
                         f"from=%2B491510000099&to={urllib.parse.quote(user.number)}&text=x")
    assert status == 403
    status, _ = http_get(f"http://127.0.0.1:{smsgw.http_port}/kannel/dlr?token={'1' * 32}"
                         "&id=pg1&status=1")
    assert status == 403


def test_an_sms_for_an_unknown_number_is_404(smsgw):
    status, _ = smsgw.call_inbound(**{"from": "+491510000098", "to": unique_number("+1666"),
                                      "text": "anyone?"})
    assert status == 404


def test_direct_inbound_call_reaches_the_user(smsgw, make_sms_user):
    user = make_sms_user()
    peer = unique_number("+4915")
    status, _ = smsgw.call_inbound(**{"from": peer, "to": user.number, "text": "direct",
                                      "charset": "UTF-8", "coding": "0"})
    assert status == 200
    user.wait_message(chat_from(contact(peer), "direct"), 30, "the direct SMS")


def test_a_malformed_number_is_jid_malformed(smsgw, make_sms_user):
    user = make_sms_user()
    msg_id = user.send("12ab@" + SMS, "to nowhere")
    error = user.wait_message(error_for(msg_id), 30, "the jid-malformed error")
    assert error_of(error)[1] == "jid-malformed", to_string(error)
    # and nothing reached Kannel for it
    assert not [p for p in smsgw.proxy.requests if "12ab" in p.get("to", "")]
