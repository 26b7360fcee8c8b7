"""[bridge NAME] irc_clients and the per-occupant connections' settings
(issue 11 §3): --check-config names the bridge and key of each problem."""

import pytest

from test_bridge_config import check

BASE = "nick = projectbridge"


def with_keys(*lines):
    return (BASE, BASE + "\n" + "\n".join(lines))


def test_per_occupant_settings_that_make_sense_pass(polygate_binary, tmp_path):
    _path, result = check(tmp_path, polygate_binary, with_keys(
        "irc_clients = per-occupant", "max_occupant_clients = 3", "occupant_idle = 90m",
        "occupant_suffix = [m]"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("lines,key", [
    (("irc_clients = everyone",), "irc_clients"),
    (("irc_clients = per-occupant", "max_occupant_clients = -1"), "max_occupant_clients"),
    (("irc_clients = per-occupant", "max_occupant_clients = many"), "max_occupant_clients"),
    (("irc_clients = per-occupant", "occupant_idle = 2 hours"), "occupant_idle"),
    (("irc_clients = per-occupant", "occupant_idle = 5s"), "occupant_idle"),
    (("irc_clients = per-occupant", "occupant_idle = 30d"), "occupant_idle"),
    (("irc_clients = per-occupant", "occupant_suffix = [x y]"), "occupant_suffix"),
    (("max_occupant_clients = 3",), "irc_clients"),
    (("irc_clients = relay", "occupant_idle = 1h"), "irc_clients"),
], ids=["unknown-mode", "negative-cap", "cap-not-a-number", "idle-not-a-duration",
        "idle-too-short", "idle-too-long", "suffix-with-space", "cap-without-mode",
        "idle-in-relay-mode"])
def test_check_config_names_a_bad_per_occupant_setting(polygate_binary, tmp_path, lines, key):
    path, result = check(tmp_path, polygate_binary, with_keys(*lines))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"{path}: [bridge project] {key}:" in output, output
