"""The registry on disk: sealed secrets, key rotation, survival of restarts.

These tests stop and restart the daemon, so each starts its own (the
polygate_factory fixture) on this module's Prosody."""

import glob
import os
import signal
import sqlite3
import struct

from harness.client import to_string
from harness.xep import is_registered, public_value, register_form, register_get

IRC = "irc.localhost"
PURPLE = "purple.localhost"

PASSWORDS = {
    "nickserv": "NickServ-Pass-7f3a",
    "server": "Server-Pass-91c2",
    "purple": "Purple-Pass-c0de",
}


def register(client, transport, fields):
    reply = client.iq_set(transport, register_form(fields))
    assert reply.get("type") == "result", to_string(reply)


def register_with_passwords(user):
    register(user, IRC, {"nick": "sealed", "password": PASSWORDS["nickserv"],
                         "server_password": PASSWORDS["server"]})
    register(user, PURPLE, {"username": "sealed@legacy.localhost",
                            "password": PASSWORDS["purple"]})


def database_files(daemon):
    """registry.db and its -wal/-shm companions (and its .lock), as raw
    bytes; not the workers' dirs (registry.db.workers/)."""
    files = {}
    for path in glob.glob(daemon.database + "*"):
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            files[os.path.basename(path)] = f.read()
    assert daemon.database.rsplit("/", 1)[1] in files, f"no database at {daemon.database}"
    return files


def assert_no_password_in(files, user_jid):
    # Positive control: the user's JID (a plain key column) must be found, or
    # this test would pass on files that hold no rows at all.
    assert any(user_jid.encode() in data for data in files.values()), \
        f"{user_jid} not found in {sorted(files)}: the rows are not where the test looks"
    for name, data in files.items():
        for label, password in PASSWORDS.items():
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert password.encode(encoding) not in data, \
                    f"{label} password in plaintext ({encoding}) in {name}"


def current_key_id(daemon):
    """The key file is one '<key id> <64 hex digits>' line per key; the last
    line is the key new secrets are sealed with."""
    with open(daemon.key_file) as f:
        lines = [line.split() for line in f if line.strip()]
    assert lines and len(lines[-1]) == 2 and len(lines[-1][1]) == 64, "unexpected key file"
    return int(lines[-1][0])


def sealed_blob_key_ids(daemon):
    """Key ids of every sealed blob in the registry (the BLOB columns whose
    name says "secret"): key id (4 bytes, big-endian) | nonce (12) |
    ciphertext | tag (16)."""
    ids = []
    db = sqlite3.connect(f"file:{daemon.database}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for name, value in zip(names, row):
                    if "secret" in name and isinstance(value, bytes):
                        assert len(value) >= 4 + 12 + 16, f"{table}.{name} too short to be sealed"
                        ids.append(struct.unpack(">I", value[:4])[0])
    finally:
        db.close()
    return ids


def test_database_files_contain_none_of_the_registered_passwords(polygate_factory, checker,
                                                                  user):
    daemon = polygate_factory().start(checker)
    register_with_passwords(user)
    assert_no_password_in(database_files(daemon), user.jid)  # while running: WAL holds the rows
    daemon.stop()
    assert_no_password_in(database_files(daemon), user.jid)


def test_key_file_is_created_private_on_first_start(polygate_factory, checker):
    daemon = polygate_factory().start(checker)
    mode = os.stat(daemon.key_file).st_mode & 0o777
    assert mode == 0o600, oct(mode)


def test_registration_survives_a_restart_of_the_daemon(polygate_factory, checker, user):
    daemon = polygate_factory().start(checker)
    register(user, IRC, {"nick": "persistent", "password": PASSWORDS["nickserv"]})
    daemon.stop()
    daemon.start(checker)
    reply = user.iq_get(IRC, register_get())
    assert is_registered(reply)
    assert public_value(reply, "nick") == "persistent"


def test_rekey_reseals_every_secret_under_a_new_key_and_keeps_registrations(
        polygate_factory, checker, user):
    daemon = polygate_factory().start(checker)
    register_with_passwords(user)
    daemon.stop()
    old_id = current_key_id(daemon)
    assert old_id in sealed_blob_key_ids(daemon)

    result = daemon.run_cli("rekey", "--config", daemon.config_path)
    assert result.returncode == 0, result.stdout + result.stderr

    new_id = current_key_id(daemon)
    assert new_id != old_id
    ids = sealed_blob_key_ids(daemon)
    assert ids and set(ids) == {new_id}, f"blobs still sealed with {set(ids) - {new_id}}"
    assert oct(os.stat(daemon.key_file).st_mode & 0o777) == oct(0o600)
    assert_no_password_in(database_files(daemon), user.jid)

    daemon.start(checker)
    for transport, field, value in ((IRC, "nick", "sealed"),
                                    (PURPLE, "split.domain", "legacy.localhost")):
        reply = user.iq_get(transport, register_get())
        assert is_registered(reply), to_string(reply)
        assert public_value(reply, field) == value


def test_rekey_is_refused_while_the_daemon_runs_and_changes_nothing(
        polygate_factory, checker, user):
    # Issue 8, item 9: a running daemon keeps the keys it read at start, so
    # a rekey under it would leave it unable to unseal what rekey re-sealed.
    daemon = polygate_factory().start(checker)
    register_with_passwords(user)
    with open(daemon.key_file, "rb") as f:
        key_before = f.read()
    blobs_before = sealed_blob_key_ids(daemon)

    result = daemon.run_cli("rekey", "--config", daemon.config_path)
    assert result.returncode != 0, result.stdout + result.stderr
    message = result.stdout + result.stderr
    assert "running" in message and str(daemon.pid) in message, message
    assert "nothing was changed" in message.lower(), message

    with open(daemon.key_file, "rb") as f:
        assert f.read() == key_before
    assert sealed_blob_key_ids(daemon) == blobs_before
    # the running daemon still unseals what it sealed: a re-registration
    # reads the old secrets, and the user's registration is intact
    reply = user.iq_get(IRC, register_get())
    assert is_registered(reply), to_string(reply)
    assert daemon.running
    daemon.stop()
    # once it is stopped, rekey goes through
    result = daemon.run_cli("rekey", "--config", daemon.config_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_second_daemon_on_the_same_registry_is_refused(polygate_factory, checker):
    daemon = polygate_factory().start(checker)
    result = daemon.run_cli("--config", daemon.config_path, timeout=20)
    assert result.returncode != 0, result.stdout + result.stderr
    assert str(daemon.pid) in result.stdout + result.stderr
    assert daemon.running


def test_debug_log_contains_none_of_the_registered_passwords(polygate_factory, checker, user):
    # The harness runs the daemon at log_level = debug, where stanzas are
    # logged: the <password/> fields must be redacted before any log line.
    daemon = polygate_factory().start(checker)
    register_with_passwords(user)
    user.iq_set(IRC, register_form({"nick": "bad nick", "password": "Rejected-Pass-5e"}))
    daemon.stop()
    log = daemon.output()
    assert "DEBUG" in log, "no debug output: the daemon did not log at debug level"
    for label, password in {**PASSWORDS, "rejected": "Rejected-Pass-5e"}.items():
        assert password not in log, f"{label} password in the daemon's debug log"


def test_sigint_stops_the_daemon_cleanly(polygate_factory, checker):
    daemon = polygate_factory().start(checker)
    daemon.stop(sig=signal.SIGINT)  # asserts exit code 0 and no sanitizer report
