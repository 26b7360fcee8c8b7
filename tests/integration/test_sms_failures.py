"""SMS that cannot go out: a permanent refusal fails at once with a stanza
error; a temporary failure is retried until the transport's
sms_retry_max_age, then fails with remote-server-timeout.  Own gateway, with
sms_retry_max_age = 10 (the smallest allowed)."""

import pytest

from harness import util
from harness.client import to_string
from harness.smsgw import (SmsGateway, SmsUser, error_for, error_of, find_binary, new_client,
                           register, unique_number)
from harness import kannel as kannel_harness


@pytest.fixture(scope="module")
def smsgw(tmp_path_factory, cert_dir):
    if not kannel_harness.available():
        pytest.skip("Kannel (bearerbox, smsbox) is not installed")
    gateway = SmsGateway(str(tmp_path_factory.mktemp("smsfail")), cert_dir, find_binary(),
                         transport_options={"sms_retry_max_age": 10})
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


@pytest.fixture
def user(smsgw):
    client = new_client(smsgw)
    number = unique_number()
    register(client, number)
    sms_user = SmsUser(smsgw, client, number)
    sms_user.go_online()
    yield sms_user
    client.disconnect()


def test_a_permanent_refusal_by_kannel_fails_at_once_with_a_stanza_error(smsgw, user):
    peer = unique_number("+4916")
    smsgw.proxy.refuse[peer] = (403, "Authorization failed for sendsms")
    msg_id = user.send(peer, "refused for good")
    error = user.wait_message(error_for(msg_id), 30, f"a message error for {msg_id}")
    etype, condition, _ = error_of(error)
    assert (etype, condition) == ("cancel", "not-acceptable"), to_string(error)
    assert smsgw.inbox.count(lambda m: m.receiver == peer) == 0


def test_a_text_kannel_never_takes_fails_after_the_max_age(smsgw, user):
    peer = unique_number("+4917")
    smsgw.proxy.reset.add(peer)  # every attempt fails as if sendsms were down
    msg_id = user.send(peer, "never taken")
    error = user.wait_message(error_for(msg_id), 60, f"a timeout error for {msg_id}")
    etype, condition, text = error_of(error)
    assert (etype, condition) == ("wait", "remote-server-timeout"), to_string(error)
    assert "10 s" in (text or ""), to_string(error)
    assert smsgw.inbox.count(lambda m: m.receiver == peer) == 0


def test_a_delivered_text_gets_a_receipt_only_if_it_asked_for_one(smsgw, user):
    """XEP-0184 §5.4: no receipt for a message without <request/>."""
    from harness.smsgw import receipt_for
    peer = unique_number("+4918")
    unasked = user.send(peer, "no receipt wanted", receipt=False)
    asked = user.send(peer, "receipt wanted")
    user.wait_message(receipt_for(f"{peer}@sms.localhost", asked), 30,
                      f"a receipt for {asked}")
    # smsbox may pass the two reports on in either order: wait until the
    # daemon handled the first one's "delivered", then let through what it
    # sent for it, before looking for a receipt that must not be there
    request = smsgw.proxy.wait_request(lambda p: p.get("to") == peer
                                       and p.get("text") == "no receipt wanted")
    user.dlr_handled(request["dlr-url"], 1)
    user.fence()
    received = [m for _, m in user.client.all_messages
                if m.find("{urn:xmpp:receipts}received") is not None]
    ids = {m.find("{urn:xmpp:receipts}received").get("id") for m in received}
    assert asked in ids and unasked not in ids, ids
