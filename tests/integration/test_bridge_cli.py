"""`polygate bridge import|export|status` (issue 11 §6-7), the real binary on
real-looking irssi, weechat and ZNC logs (tests/integration/data/bridge).

No XMPP server is needed: the tools work on the bridge store only, found
from the config (its database + ".bridge") as the daemon finds it."""

import html
import os
import re
import sqlite3

import pytest

from harness import util
from harness.polygate import run_binary

DATA = os.path.join(os.path.dirname(__file__), "data", "bridge")
IRSSI = os.path.join(DATA, "polygate.irssi.log")
WEECHAT = os.path.join(DATA, "irc.libera.#polygate.weechatlog")
ZNC = os.path.join(DATA, "2026-12-03.log")

CONFIG = """\
[polygate]
database = registry.db
key_file = registry.key

[xmpp]
host = 127.0.0.1
port = {port}

[http]
port = 0

[transport irc]
jid = irc.localhost
secret = {secret}
type = irc
""" + "".join(f"""
[bridge {name}]
transport = irc
server = irc.example.net
channel = #{name}
room = {name}@conference.example.org
nick = {name.replace("-", "")}brg
""" for name in ("b", "h", "h2", "libera-polygate", "other", "web"))


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "polygate.conf"
    path.write_text(CONFIG.format(port=util.free_port(), secret=util.secret()))
    os.chmod(path, 0o600)
    return str(path)


def bridge(binary, config, *args):
    return run_binary(binary, "bridge", *args, "--config", config)


def spool_rows(config):
    store = os.path.join(os.path.dirname(config), "registry.db.bridge")
    with sqlite3.connect(store) as db:
        return db.execute(
            "SELECT bridge, time_us, kind, nick, text FROM spool ORDER BY time_us, id").fetchall()


def test_bridge_help_explains_every_command(polygate_binary):
    result = run_binary(polygate_binary, "bridge", "--help")
    assert result.returncode == 0, result.stderr
    for needle in ("import --bridge NAME --format irssi|weechat|znc FILE",
                   "export --bridge NAME --format text|html DIR", "status [--bridge NAME]",
                   "--timezone", "--store"):
        assert needle in result.stdout
    # and the daemon's own help points to it
    assert "bridge" in run_binary(polygate_binary, "--help").stdout


def test_import_of_irssi_weechat_and_znc_logs_spools_each_line_once(polygate_binary, config):
    result = bridge(polygate_binary, config, "import", "--bridge", "libera-polygate", "--format",
                    "irssi", "--timezone", "Europe/Paris", IRSSI)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "14 lines read, 10 spooled (10 new, 0 already there)" in result.stdout
    assert "1 not understood" in result.stdout  # the "-!- Irssi:" line
    rows = spool_rows(config)
    assert len(rows) == 10
    # 21:15 in Paris on 2026-12-02 is 20:15 UTC
    first_message = next(r for r in rows if r[2] == "message")
    assert first_message[1] // 1_000_000 == 1796242500 and first_message[3] == "alice"
    assert first_message[4] == "has anyone tried the bridge yet?"

    # the same file again adds nothing
    again = bridge(polygate_binary, config, "import", "--bridge", "libera-polygate", "--format",
                   "irssi", "--timezone", "Europe/Paris", IRSSI)
    assert again.returncode == 0
    assert "10 spooled (0 new, 10 already there)" in again.stdout
    assert len(spool_rows(config)) == 10

    weechat = bridge(polygate_binary, config, "import", "--bridge", "other", "--format",
                     "weechat", WEECHAT)
    assert weechat.returncode == 0, weechat.stdout + weechat.stderr
    assert "8 lines read, 7 spooled (7 new" in weechat.stdout
    znc = bridge(polygate_binary, config, "import", "--bridge", "other", "--format", "znc", ZNC)
    assert znc.returncode == 0, znc.stdout + znc.stderr
    # dave's "morning all" at 08:03:00 is in both logs: spooled once
    assert "6 lines read, 6 spooled (5 new, 1 already there)" in znc.stdout
    kinds = [r[2] for r in spool_rows(config) if r[0] == "other"]
    assert kinds.count("action") == 2 and "notice" in kinds and "topic" in kinds


def test_import_reports_a_bad_file_and_goes_on_with_the_others(polygate_binary, config,
                                                                tmp_path):
    undated = tmp_path / "channel.log"
    undated.write_text("[10:00:00] <a> a ZNC line without a date in the file's name\n")
    result = bridge(polygate_binary, config, "import", "--bridge", "b", "--format", "znc",
                    str(undated), str(tmp_path / "missing.log"), ZNC)
    assert result.returncode == 1
    assert "channel.log: not imported:" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert "missing.log: not imported:" in result.stderr
    assert "2026-12-03.log: 6 lines read, 6 spooled" in result.stdout
    assert "2 file(s) failed" in result.stdout


def test_import_of_hostile_bytes_converts_or_refuses_per_line(polygate_binary, config,
                                                               tmp_path):
    log = tmp_path / "2026-12-03.log"
    log.write_bytes(b"[10:00:00] <a> caf\xe9\n"
                    b"[10:00:01] <b\x01> \x03" b"4red\x02 \x00nul\n"
                    b"[10:00:02] <c> " + b"x" * 5000 + b"\n"
                    b"[10:00:03] <d> fine\n")
    converted = bridge(polygate_binary, config, "import", "--bridge", "h", "--format", "znc",
                       str(log))
    assert converted.returncode == 0, converted.stderr
    assert "1 too long" in converted.stdout and "2 read as CP1252" in converted.stdout
    texts = {r[3]: r[4] for r in spool_rows(config)}
    assert texts == {"a": "café", "b?": "red nul", "d": "fine"}

    refused = bridge(polygate_binary, config, "import", "--bridge", "h2", "--format", "znc",
                     "--refuse-invalid-utf8", str(log))
    assert "2 not UTF-8" in refused.stdout
    assert [r[3] for r in spool_rows(config) if r[0] == "h2"] == ["d"]


def test_import_refuses_bad_options(polygate_binary, config):
    for args, needle in ((["--format", "mirc", IRSSI], "irssi, weechat or znc"),
                         (["--format", "irssi", "--timezone", "Mars/Olympus", IRSSI],
                          "unknown time zone"),
                         (["--format", "irssi"], "at least one log FILE")):
        result = bridge(polygate_binary, config, "import", "--bridge", "b", *args)
        assert result.returncode == 1 and needle in result.stderr, result.stderr
    no_bridge = bridge(polygate_binary, config, "import", "--format", "irssi", IRSSI)
    assert no_bridge.returncode == 1 and "--bridge NAME is required" in no_bridge.stderr
    unknown = bridge(polygate_binary, config, "teleport")
    assert unknown.returncode == 1 and "unknown command 'teleport'" in unknown.stderr


def test_import_refuses_a_bridge_the_config_does_not_name(polygate_binary, config):
    # a typo would spool the lines under a name no bridge ever replays
    typo = bridge(polygate_binary, config, "import", "--bridge", "libera-polygat",
                  "--format", "irssi", IRSSI)
    assert typo.returncode == 1, typo.stdout
    assert "no [bridge libera-polygat] in the config" in typo.stderr, typo.stderr
    assert "libera-polygate" in typo.stderr, "the known names help find the typo"
    store = os.path.join(os.path.dirname(config), "registry.db.bridge")
    assert not os.path.exists(store) or not spool_rows(config)


def test_export_writes_one_escaped_page_per_day(polygate_binary, config, tmp_path):
    assert bridge(polygate_binary, config, "import", "--bridge", "web", "--format", "irssi",
                  IRSSI).returncode == 0
    out = tmp_path / "site"
    result = bridge(polygate_binary, config, "export", "--bridge", "web", "--format", "html",
                    str(out))
    assert result.returncode == 0, result.stderr
    assert "10 lines written to 2 file(s)" in result.stdout
    assert sorted(os.listdir(out)) == ["2026-12-02.html", "2026-12-03.html"]
    page = (out / "2026-12-02.html").read_text()
    assert oct(os.stat(out / "2026-12-02.html").st_mode & 0o777) == "0o644"
    # carol's markup is text on the page, never markup
    assert "<b>not html</b>" not in page
    assert html.escape('<b>not html</b> & "quotes"') in page
    assert page.count("<li ") == 7

    text = bridge(polygate_binary, config, "export", "--bridge", "web", "--format", "text",
                  "--timezone", "Asia/Tokyo", str(tmp_path / "txt"))
    assert text.returncode == 0
    # 21:15 UTC on the 2nd is 06:15 on the 3rd in Tokyo: one day only
    assert sorted(os.listdir(tmp_path / "txt")) == ["2026-12-03.txt"]
    lines = (tmp_path / "txt" / "2026-12-03.txt").read_text().splitlines()
    assert "[06:15:00] <alice> has anyone tried the bridge yet?" in lines


def test_status_shows_each_bridge_from_the_store(polygate_binary, config):
    none = bridge(polygate_binary, config, "status")
    assert none.returncode == 0 and "no bridge store" in none.stdout
    assert bridge(polygate_binary, config, "import", "--bridge", "libera-polygate", "--format",
                  "znc", ZNC).returncode == 0
    # what the runtime writes (pg-bridge-store.h), written here as it would
    store = os.path.join(os.path.dirname(config), "registry.db.bridge")
    with sqlite3.connect(store) as db:
        db.execute("UPDATE bridge SET phase = 'live', approved_by = 'op!~op@host',"
                   " approved_us = 1796288400000000, legacy_occupants = 3,"
                   " xmpp_occupants = 4")
        db.execute("INSERT INTO puppet VALUES ('libera-polygate', 'alice', 1, 0),"
                   " ('libera-polygate', 'bob', 0, 0)")
        db.execute("INSERT INTO direction_state VALUES ('libera-polygate', 0, 42,"
                   " 'ERROR :Closing Link (Excess Flood)', 1796288400000000)")
    result = bridge(polygate_binary, config, "status")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("bridge libera-polygate\n")
    assert re.search(r"phase: +live", out)
    assert "approved by op!~op@host at 2026-12-03 09:00:00 UTC" in out
    assert "3 on the legacy channel, 4 in the room" in out
    assert "(last 5 min; 42 and 0 in all)" in out
    assert "last error to the legacy channel: ERROR :Closing Link (Excess Flood)" in out
    assert "1 of 2 healthy" in out
    assert "6 lines spooled, 6 waiting to be replayed" in out

    unknown = bridge(polygate_binary, config, "status", "--bridge", "nope")
    assert unknown.returncode == 1 and "no bridge nope" in unknown.stderr
