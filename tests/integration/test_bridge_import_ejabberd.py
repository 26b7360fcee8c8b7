"""test_bridge_import.py on ejabberd 23.01 (mod_muc + mod_mam): the replay
of an imported irssi log reaches the room's archive once, in order, across
restarts.  ejabberd keeps each line's XEP-0203 delay inside the archived
message (test_bridge_mam_delay.py); the times are in the text as well."""

import pytest

from harness.bridge import (  # noqa: F401 (fixtures)
    Bridged, bridge_checker, bridge_configs, bridge_gateway, make_irc, ngircd)
from test_bridge_ejabberd import bridge_prosody  # noqa: F401 (ejabberd in its place)

import test_bridge_import


@pytest.fixture(scope="module")
def bridge_names():
    return ("import",)


@pytest.fixture(scope="module")
def bridge_options():
    return {"import": {"replay_rate": "2"}}


def test_an_imported_irssi_log_is_replayed_once_into_the_room_archive(
        bridge_gateway, bridge_configs, bridge_checker, make_irc, tmp_path):
    b = Bridged(bridge_gateway, "import", bridge_configs["import"], make_irc)
    b.ROOM_FIELDS = ()  # ejabberd's default_room_options (test_bridge_ejabberd.py)
    test_bridge_import.replay_and_check(b, bridge_gateway, bridge_checker, tmp_path)
