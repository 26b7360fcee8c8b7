"""[bridge NAME] groups: --check-config names each problem of a bridge as
`FILE: [bridge NAME] key: problem`, and never takes a password inline."""

import os

import pytest

from harness import util
from harness.polygate import run_binary

CONFIG = """\
[polygate]
database = registry.db
key_file = registry.key

[xmpp]
port = {port}

[http]
port = 0

[transport irc]
jid = irc.localhost
secret = {secret}
type = irc

[transport sms]
jid = sms.localhost
secret = {secret2}
type = sms

[bridge project]
transport = irc
server = irc.example.net
channel = #project
room = project@conference.localhost
nick = projectbridge
"""


def check(tmp_path, polygate_binary, edit=None, extra=""):
    text = CONFIG.format(port=util.free_port(), secret=util.secret(), secret2=util.secret())
    if edit is not None:
        text = text.replace(*edit, 1)
    path = tmp_path / "polygate.conf"
    path.write_text(text + extra)
    os.chmod(path, 0o600)
    return str(path), run_binary(polygate_binary, "--check-config", "--config", str(path))


def test_a_good_bridge_passes_and_is_counted(polygate_binary, tmp_path):
    _path, result = check(tmp_path, polygate_binary)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 bridge(s)" in result.stdout


@pytest.mark.parametrize("edit,key", [
    (("transport = irc\nserver", "transport = nowhere\nserver"), "transport"),
    (("transport = irc\nserver", "transport = sms\nserver"), "transport"),
    (("channel = #project", "channel = project"), "channel"),
    (("room = project@conference.localhost", "room = not a jid"), "room"),
    (("nick = projectbridge", "nick = bad nick"), "nick"),
    (("nick = projectbridge", "nick = projectbridge\nphase = sideways"), "phase"),
    (("nick = projectbridge", "nick = projectbridge\nphase = moved"), "phase"),
    (("nick = projectbridge", "nick = projectbridge\nsasl_password = hunter2"),
     "sasl_password"),
    (("nick = projectbridge", "nick = projectbridge\ncolour = blue"), "colour"),
    (("server = irc.example.net\n", ""), "server"),
    (("nick = projectbridge", "nick = projectbridge\nimport_time = never"), "import_time"),
    (("nick = projectbridge", "nick = projectbridge\nreplay_rate = 0"), "replay_rate"),
    (("nick = projectbridge", "nick = projectbridge\nself_ping_interval = 4"),
     "self_ping_interval"),
    (("nick = projectbridge", "nick = projectbridge\nself_ping_interval = 3601"),
     "self_ping_interval"),
    (("nick = projectbridge", "nick = projectbridge\nmax_puppets = -1"), "max_puppets"),
    (("nick = projectbridge", "nick = projectbridge\nmax_puppets = many"), "max_puppets"),
    (("nick = projectbridge", "nick = projectbridge\nlimit_retry = 0"), "limit_retry"),
], ids=["unknown-transport", "not-irc", "bad-channel", "bad-room", "bad-nick", "bad-phase",
        "moved-without-target", "inline-password", "unknown-key", "no-server",
        "bad-import-time", "no-replay-rate", "self-ping-too-often", "self-ping-too-rare",
        "negative-max-puppets", "wordy-max-puppets", "no-limit-retry"])
def test_check_config_names_the_bridge_and_key_of_a_problem(polygate_binary, tmp_path, edit,
                                                             key):
    path, result = check(tmp_path, polygate_binary, edit)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"{path}: [bridge project] {key}:" in output, output
    assert "hunter2" not in output


def test_a_password_file_readable_by_others_is_refused(polygate_binary, tmp_path):
    secret = tmp_path / "bridge.password"
    secret.write_text("s3cret\n")
    os.chmod(secret, 0o644)
    path, result = check(tmp_path, polygate_binary,
                         ("nick = projectbridge", f"nick = projectbridge\n"
                                                  f"sasl_password_file = {secret}"))
    assert result.returncode == 1
    assert f"[bridge project] sasl_password_file:" in result.stdout + result.stderr


def test_two_bridges_on_one_room_are_refused(polygate_binary, tmp_path):
    _path, result = check(tmp_path, polygate_binary, extra=(
        "\n[bridge other]\ntransport = irc\nserver = irc.example.net\nchannel = #other\n"
        "room = project@conference.localhost\nnick = otherbridge\n"))
    assert result.returncode == 1
    assert "both bridge room project@conference.localhost" in result.stdout + result.stderr
