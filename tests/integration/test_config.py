"""The command line and the config file: --check-config names every problem
as `FILE: [group] key: problem`, and the daemon refuses unsafe secret files.

No XMPP server is needed here: every case fails (or passes) before connecting."""

import os
import re
import subprocess
import time

import pytest

from harness import util
from harness.polygate import run_binary, sanitizer_report

GOOD_CONFIG = """\
[polygate]
database = registry.db
key_file = registry.key
log_level = info

[xmpp]
host = 127.0.0.1
port = {port}

[http]
port = 0

[transport irc]
jid = irc.localhost
secret = {secret}
type = irc
name = IRC gateway

[transport sms]
jid = sms.localhost
secret_file = sms.secret
type = sms
"""


@pytest.fixture
def config_dir(tmp_path):
    secret_path = tmp_path / "sms.secret"
    secret_path.write_text(util.secret() + "\n")
    os.chmod(secret_path, 0o600)
    return tmp_path


def write_config(directory, text, mode=0o600, name="polygate.conf"):
    path = directory / name
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def good_config(directory, **kwargs):
    return GOOD_CONFIG.format(port=util.free_port(), secret=util.secret(), **kwargs)


def test_version_prints_the_version_and_exits_0(polygate_binary):
    result = run_binary(polygate_binary, "--version")
    assert result.returncode == 0, result.stderr
    assert "0.1" in result.stdout + result.stderr


def test_help_lists_the_options_and_exits_0(polygate_binary):
    result = run_binary(polygate_binary, "--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert "--config" in out and "--check-config" in out


def test_check_config_accepts_a_good_config(polygate_binary, config_dir):
    path = write_config(config_dir, good_config(config_dir))
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("edit,group,key", [
    (("type = irc", "type = telegraph"), "transport irc", "type"),
    (("log_level = info", "log_level = chatty"), "polygate", "log_level"),
    (("port = ", "colour = blue\nport = "), "xmpp", "colour"),
    (("jid = irc.localhost", "jid = not a domain"), "transport irc", "jid"),
    (("name = IRC gateway", "name = IRC gateway\npurple_protocol = prpl-irc"),
     "transport irc", "purple_protocol"),
    (("log_level = info", "log_level = info\nworker_sandbox = sometimes"), "polygate",
     "worker_sandbox"),
], ids=["bad-type", "bad-log-level", "unknown-key", "bad-jid", "key-of-another-type",
        "bad-worker-sandbox"])
def test_check_config_names_the_group_and_key_of_a_bad_value_and_exits_1(
        polygate_binary, config_dir, edit, group, key):
    text = good_config(config_dir).replace(*edit, 1)
    path = write_config(config_dir, text)
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}: [{group}] {key}:" in result.stdout + result.stderr


def test_check_config_reports_every_problem_not_only_the_first(polygate_binary, config_dir):
    text = good_config(config_dir).replace("type = irc", "type = telegraph").replace(
        "log_level = info", "log_level = chatty")
    path = write_config(config_dir, text)
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    out = result.stdout + result.stderr
    assert result.returncode == 1
    assert "[transport irc] type:" in out and "[polygate] log_level:" in out


def test_check_config_refuses_a_world_readable_config_with_an_inline_secret(
        polygate_binary, config_dir):
    path = write_config(config_dir, good_config(config_dir), mode=0o644)
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    assert result.returncode == 1
    assert "world-readable" in result.stdout + result.stderr


def test_check_config_names_an_inline_webirc_password_in_a_world_readable_config(
        polygate_binary, config_dir):
    # the [webirc NAME] password is the only inline secret here: the refusal
    # must say so, and name password_file as the way out
    text = good_config(config_dir).replace("secret = ", "secret_file = sms.secret\n#")
    text += "\n[webirc libera]\nservers = irc.example.net\npassword = " + util.secret()
    text += "\nhost_suffix = users.example.org\n"
    path = write_config(config_dir, text, mode=0o644)
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    lines = [line for line in out.splitlines() if "world-readable" in line]
    assert len(lines) == 1, out
    assert "[webirc NAME] password" in lines[0], out
    assert re.search(r"\bpassword_file\b", lines[0]), out
    # and nothing else is wrong with the file
    os.chmod(path, 0o640)
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_config_refuses_a_group_readable_secret_file(polygate_binary, config_dir):
    os.chmod(config_dir / "sms.secret", 0o640)
    path = write_config(config_dir, good_config(config_dir))
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    assert result.returncode == 1
    assert f"{path}: [transport sms] secret_file:" in result.stdout + result.stderr


def test_check_config_of_a_missing_file_exits_1(polygate_binary, tmp_path):
    result = run_binary(polygate_binary, "--check-config", "--config",
                        str(tmp_path / "nonexistent.conf"))
    assert result.returncode == 1
    assert "nonexistent.conf" in result.stdout + result.stderr


def run_daemon_until_exit(binary, path, timeout=10):
    """Start the daemon and wait (bounded) for it to exit by itself."""
    proc = subprocess.Popen([binary, "--config", path], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        util.stop_process(proc)
        out, _ = proc.communicate()
        pytest.fail(f"polygate kept running for {timeout}s instead of refusing to start:\n{out}")
    assert not sanitizer_report(out), out
    return proc.returncode, out


def test_daemon_refuses_to_start_with_a_group_readable_key_file(polygate_binary, config_dir):
    key_file = config_dir / "registry.key"
    key_file.write_text("1 " + os.urandom(32).hex() + "\n")
    os.chmod(key_file, 0o640)
    path = write_config(config_dir, good_config(config_dir))
    started = time.monotonic()
    rc, out = run_daemon_until_exit(polygate_binary, path)
    assert rc != 0, out
    assert "registry.key" in out, out
    assert time.monotonic() - started < 10
    # The refusal must not have "fixed" the file behind the operator's back.
    assert os.stat(key_file).st_mode & 0o777 == 0o640


def test_daemon_refuses_to_start_with_a_bad_config(polygate_binary, config_dir):
    text = good_config(config_dir).replace("type = irc", "type = telegraph")
    path = write_config(config_dir, text)
    rc, out = run_daemon_until_exit(polygate_binary, path)
    assert rc != 0
    assert "[transport irc] type:" in out


EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "conf", "polygate.conf.example")


def test_the_example_config_passes_check_config(polygate_binary, tmp_path):
    with open(EXAMPLE) as f:
        path = write_config(tmp_path, f.read())
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_optional_key_of_the_example_config_is_accepted(polygate_binary, tmp_path):
    # "#key = value" lines are the optional settings: enabling all of them
    # must still give a valid config, so the example never documents a key
    # the daemon does not know.
    with open(EXAMPLE) as f:
        text = re.sub(r"(?m)^#([a-z_]+ = )", r"\1", f.read())
    path = write_config(tmp_path, text)
    result = run_binary(polygate_binary, "--check-config", "--config", path)
    assert result.returncode == 0, result.stdout + result.stderr
