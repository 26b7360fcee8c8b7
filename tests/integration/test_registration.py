"""XEP-0077 in-band registration with XEP-0004 forms, on each transport type.

Each test gets a brand-new XMPP account (the `user` fixture), so no test sees
another's registration."""

import pytest

from harness.client import error_condition, to_string
from harness.xep import (NS_REGISTER, data_form, form_fields, is_registered, q,
                         public_value, register_form, register_get, register_legacy,
                         register_query, register_remove)

IRC = "irc.localhost"
SMS = "sms.localhost"
PURPLE = "purple.localhost"


def assert_result(reply):
    assert reply.get("type") == "result", f"{error_condition(reply)}: {to_string(reply)}"


def assert_error(reply, condition, etype=None):
    assert reply.get("type") == "error", f"expected {condition}, got {to_string(reply)}"
    got_type, got_condition = error_condition(reply)
    assert got_condition == condition, to_string(reply)
    if etype is not None:
        assert got_type == etype, to_string(reply)


# -- the form ------------------------------------------------------------------

def test_registration_form_has_instructions_legacy_fields_and_a_data_form(polygate, user):
    reply = user.iq_get(IRC, register_get())
    assert_result(reply)
    query = register_query(reply)
    assert query is not None
    assert query.find(q(NS_REGISTER, "instructions")) is not None
    assert query.find(q(NS_REGISTER, "registered")) is None
    form = data_form(query)
    assert form is not None and form.get("type") == "form"
    fields = form_fields(form)
    assert fields["FORM_TYPE"]["type"] == "hidden"
    assert fields["FORM_TYPE"]["values"] == [NS_REGISTER]


def test_irc_registration_form_asks_for_nick_and_private_passwords(polygate, user):
    query = register_query(user.iq_get(IRC, register_get()))
    fields = form_fields(data_form(query))
    assert fields["nick"]["required"] is True
    assert fields["password"]["type"] == "text-private"
    assert fields["password"]["required"] is False
    assert fields["server_password"]["type"] == "text-private"
    assert fields["server_password"]["required"] is False
    assert query.find(q(NS_REGISTER, "nick")) is not None
    assert query.find(q(NS_REGISTER, "password")) is not None


def test_sms_registration_form_asks_for_a_phone_number(polygate, user):
    query = register_query(user.iq_get(SMS, register_get()))
    fields = form_fields(data_form(query))
    assert fields["phone"]["required"] is True
    assert query.find(q(NS_REGISTER, "phone")) is not None


def test_purple_registration_form_asks_for_username_and_password(polygate, user):
    query = register_query(user.iq_get(PURPLE, register_get()))
    fields = form_fields(data_form(query))
    assert fields["username"]["required"] is True
    # prpl-jabber declares its password optional (OPT_PROTO_PASSWORD_OPTIONAL);
    # test_purple_forms.py checks every field against the plugin itself
    assert fields["password"]["required"] is False
    assert fields["password"]["type"] == "text-private"
    assert query.find(q(NS_REGISTER, "username")) is not None
    assert query.find(q(NS_REGISTER, "password")) is not None


# -- registering ---------------------------------------------------------------

def test_register_with_a_form_then_get_shows_registered_and_the_nick(polygate, user):
    assert_result(user.iq_set(IRC, register_form({"nick": "alicebot", "password": "n1ckserv-pw"})))
    reply = user.iq_get(IRC, register_get())
    assert_result(reply)
    assert is_registered(reply)
    assert public_value(reply, "nick") == "alicebot"


def test_registered_get_never_returns_the_passwords(polygate, user):
    assert_result(user.iq_set(IRC, register_form(
        {"nick": "secretive", "password": "nickserv-Secret-1", "server_password": "srv-Secret-2"})))
    text = to_string(user.iq_get(IRC, register_get()))
    assert "nickserv-Secret-1" not in text
    assert "srv-Secret-2" not in text


def test_register_with_legacy_fields(polygate, user):
    assert_result(user.iq_set(IRC, register_legacy({"nick": "oldclient", "password": "pw"})))
    reply = user.iq_get(IRC, register_get())
    assert is_registered(reply)
    assert public_value(reply, "nick") == "oldclient"


def test_register_again_updates_the_registration(polygate, user):
    assert_result(user.iq_set(IRC, register_form({"nick": "firstnick"})))
    assert_result(user.iq_set(IRC, register_form({"nick": "secondnick"})))
    reply = user.iq_get(IRC, register_get())
    assert is_registered(reply)
    assert public_value(reply, "nick") == "secondnick"


def test_register_sms_normalises_the_phone_number(polygate, user):
    assert_result(user.iq_set(SMS, register_form({"phone": "+1 555 010 0001"})))
    reply = user.iq_get(SMS, register_get())
    assert is_registered(reply)
    assert public_value(reply, "phone") == "+15550100001"


def test_register_purple_account(polygate, user):
    assert_result(user.iq_set(PURPLE, register_form(
        {"username": "bob@legacy.localhost", "password": "purple-Secret-3"})))
    reply = user.iq_get(PURPLE, register_get())
    assert is_registered(reply)
    # the form shows the account name cut into prpl-jabber's user splits
    assert public_value(reply, "username") == "bob"
    assert public_value(reply, "split.domain") == "legacy.localhost"
    assert "purple-Secret-3" not in to_string(reply)


def test_registrations_on_two_transports_are_independent(polygate, user):
    assert_result(user.iq_set(IRC, register_form({"nick": "both"})))
    assert not is_registered(user.iq_get(SMS, register_get()))


# -- bad forms -----------------------------------------------------------------

@pytest.mark.parametrize("transport,fields", [
    (IRC, {"password": "only-a-password"}),
    (IRC, {"nick": ""}),
    (SMS, {}),
    (PURPLE, {"password": "no-username"}),
], ids=["irc-missing-nick", "irc-empty-nick", "sms-missing-phone", "purple-missing-username"])
def test_register_with_a_missing_required_field_is_not_acceptable(polygate, user, transport,
                                                                  fields):
    reply = user.iq_set(transport, register_form(fields))
    assert_error(reply, "not-acceptable", "modify")
    assert not is_registered(user.iq_get(transport, register_get()))


def test_register_with_missing_nick_in_legacy_fields_is_not_acceptable(polygate, user):
    assert_error(user.iq_set(IRC, register_legacy({"password": "x"})), "not-acceptable", "modify")


def test_register_with_a_nick_containing_a_space_is_not_acceptable(polygate, user):
    assert_error(user.iq_set(IRC, register_form({"nick": "two words"})), "not-acceptable",
                 "modify")


def test_register_with_a_form_of_the_wrong_form_type_is_a_bad_request(polygate, user):
    reply = user.iq_set(IRC, register_form({"nick": "x"}, form_type="urn:example:other"))
    assert_error(reply, "bad-request")


def test_register_with_a_form_that_is_not_a_submission_is_a_bad_request(polygate, user):
    reply = user.iq_set(IRC, register_form({"nick": "x"}, form_kind="form"))
    assert_error(reply, "bad-request")


def test_register_with_neither_form_nor_known_fields_is_a_bad_request(polygate, user):
    reply = user.iq_set(IRC, f"<query xmlns='{NS_REGISTER}'><colour>blue</colour></query>")
    assert_error(reply, "bad-request")


@pytest.mark.parametrize("phone", ["12ab", "+", "not a number"])
def test_register_sms_with_an_invalid_phone_is_jid_malformed(polygate, user, phone):
    assert_error(user.iq_set(SMS, register_form({"phone": phone})), "jid-malformed")


def test_register_from_a_domain_the_transport_does_not_serve_is_forbidden(polygate, mallory):
    reply = mallory.iq_set(IRC, register_form({"nick": "mallory"}))
    assert_error(reply, "forbidden")
    assert not is_registered(mallory.iq_get(IRC, register_get()))


def test_register_sms_phone_already_registered_by_another_user_is_a_conflict(
        polygate, user, other_user):
    assert_result(user.iq_set(SMS, register_form({"phone": "+15550100077"})))
    # The same number, written differently, is the same number.
    reply = other_user.iq_set(SMS, register_form({"phone": "+1 555 010 0077"}))
    assert_error(reply, "conflict")
    assert not is_registered(other_user.iq_get(SMS, register_get()))


def test_the_same_user_may_register_its_own_phone_again(polygate, user):
    assert_result(user.iq_set(SMS, register_form({"phone": "+15550100088"})))
    assert_result(user.iq_set(SMS, register_form({"phone": "+15550100088"})))


# -- removing ------------------------------------------------------------------

def test_remove_deletes_the_registration(polygate, user):
    assert_result(user.iq_set(IRC, register_form({"nick": "leaving", "password": "pw"})))
    assert_result(user.iq_set(IRC, register_remove()))
    assert not is_registered(user.iq_get(IRC, register_get()))


def test_remove_frees_the_phone_number_for_another_user(polygate, user, other_user):
    assert_result(user.iq_set(SMS, register_form({"phone": "+15550100099"})))
    assert_result(user.iq_set(SMS, register_remove()))
    assert_result(other_user.iq_set(SMS, register_form({"phone": "+15550100099"})))


def test_remove_when_not_registered_is_an_error(polygate, user):
    reply = user.iq_set(IRC, register_remove())
    assert reply.get("type") == "error", to_string(reply)
    assert error_condition(reply)[1] in ("item-not-found", "registration-required")


def test_register_after_remove_starts_afresh(polygate, user):
    assert_result(user.iq_set(IRC, register_form({"nick": "first"})))
    assert_result(user.iq_set(IRC, register_remove()))
    assert_result(user.iq_set(IRC, register_form({"nick": "second"})))
    reply = user.iq_get(IRC, register_get())
    assert is_registered(reply)
    assert public_value(reply, "nick") == "second"

