"""Back-pressure: a frozen XMPP server must not make the daemon buffer an IRC
burst in its own memory, and nothing may be lost.

Prosody is frozen (SIGSTOP) while an IRC client bursts lines into a channel
that several XMPP users sit in; every line fans out to every user.  Without
back-pressure the daemon reads the whole fan-out from its workers and keeps
it in libstrophe's send queue, and its RSS grows with the burst.  With it,
the daemon stops reading the workers at a 4 MiB send-queue watermark, the
rest waits in the workers and the kernel, and RSS stays flat.  After SIGCONT
every user gets every line, in order.

ASan settings for this module's daemon and workers: freed memory is kept in
a quarantine (256 MB by default), which would hide the difference, so it
gets 1 MB; and the test needs workers that produce events faster than the
daemon can queue them, which ASan with fast_unwind_on_malloc=0 (a full
unwind on every malloc) makes ~10x too slow, so the fast unwinder is used.
Fast-unwound stacks are too short for tests/integration/lsan.supp to match
libpurple's known leaks, so leak detection is off here; every other module
runs with it.
"""

import os
import re
import signal

import pytest

from harness.ircgw import (  # noqa: F401 (fixtures)
    gateway, gateway_options, groupchat_from, happens_within, in_a_room, irc_checker,
    irc_prosody, make_irc_client, make_irc_user, messages, ngircd, ngircd_password,
    wait_until)

USERS = 20
LINES = 2500
# The daemon's RSS may grow by this much while Prosody is frozen.  With
# back-pressure it grows by about the 4 MiB send-queue watermark; without,
# by the fan-out (USERS x LINES stanzas of ~420 bytes: 21 MB of text) less
# the 2-5 MB the kernel's socket buffers take before Prosody's window closes.
RSS_GROWTH_MAX_KIB = 10 * 1024
OBSERVE_S = 10
PAUSE_DEADLINE_S = 120


@pytest.fixture(scope="module", autouse=True)
def small_asan_quarantine():
    """Started before the module's daemon (autouse fixtures come first)."""
    old = os.environ.get("ASAN_OPTIONS")
    os.environ["ASAN_OPTIONS"] = ((old + ":") if old else "") + \
        "quarantine_size_mb=1:thread_local_quarantine_size_kb=64:fast_unwind_on_malloc=1:" \
        "detect_leaks=0"
    yield
    if old is None:
        del os.environ["ASAN_OPTIONS"]
    else:
        os.environ["ASAN_OPTIONS"] = old


@pytest.fixture(scope="module")
def gateway_options():
    return {"global": {"users_per_worker": 1}}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def burst_lines(tag):
    pad = " ".join(["the quick brown fox jumps over the lazy dog"] * 6)
    return [f"{tag} {i:05d} {pad}" for i in range(LINES)]


def wait_for_all(users, room, bob, lines, timeout, what):
    """Every user got every line of lines from bob; checks completeness and order."""
    sender = f"{room}/{bob.nick}"
    wanted = set(lines)

    def got(user):
        return [m.find("{jabber:client}body").text for m in
                messages(user.client, groupchat_from(sender)) if
                m.find("{jabber:client}body").text in wanted]

    for user in users:
        wait_until(lambda: len(got(user)) >= len(lines), timeout,
                   f"{len(lines)} {what} at {user.nick}", user.logs)
        received = got(user)
        missing = [line for line in lines if line not in received]
        assert not missing, f"{user.nick}: {len(missing)} lines lost, first {missing[:3]}"
        assert received == lines, f"{user.nick}: lines out of order or repeated"


def test_a_frozen_xmpp_server_does_not_grow_the_daemon_and_loses_nothing(
        gateway, irc_prosody, make_irc_user, make_irc_client):
    first, bob, channel, room = in_a_room(make_irc_user, make_irc_client)
    users = [first]
    for _ in range(USERS - 1):
        user = make_irc_user()
        user.join(channel)
        users.append(user)
    for user in users[1:]:  # in_a_room waited for the first one
        bob.wait_for(lambda l, nick=user.nick: l.is_("JOIN", nick=nick), 30,
                     f"{user.nick}'s JOIN", first.logs)

    # warm up every path (and the allocator) with a small burst that all get
    warm = burst_lines("warm")[:200]
    bob.send_many([f"PRIVMSG {channel} :{line}" for line in warm])
    wait_for_all(users, room, bob, warm, 60, "warm-up lines")
    baseline = rss_kib(gateway.pid)
    log_offset = len(gateway.output())

    lines = burst_lines("burst")
    os.kill(irc_prosody.proc.pid, signal.SIGSTOP)
    try:
        bob.send_many([f"PRIVMSG {channel} :{line}" for line in lines])
        peak = [baseline]

        def grew_too_much():
            peak[0] = max(peak[0], rss_kib(gateway.pid))
            return peak[0] - baseline > RSS_GROWTH_MAX_KIB

        # RSS must not pass the bound while the fan-out reaches the daemon
        # (a few seconds on loopback, more on a loaded machine: watched until
        # the daemon pauses its workers, with a deadline), nor for a bounded
        # observation after that
        def paused():
            return re.search(r"paused reading \d+ worker", gateway.output()[log_offset:])

        happens_within(lambda: grew_too_much() or paused(), PAUSE_DEADLINE_S)
        exceeded = grew_too_much() or happens_within(grew_too_much, OBSERVE_S)
        print(f"daemon RSS {baseline} KiB before the burst, peak growth "
              f"{peak[0] - baseline} KiB while frozen")
        assert not exceeded, (
            f"the daemon's RSS grew by {peak[0] - baseline} KiB (bound "
            f"{RSS_GROWTH_MAX_KIB} KiB) while the XMPP server was frozen")
        assert paused(), "the daemon never paused reading its workers"
        assert gateway.running
    finally:
        os.kill(irc_prosody.proc.pid, signal.SIGCONT)

    wait_for_all(users, room, bob, lines, 180, "burst lines")
    assert gateway.running
    assert re.search(r"resumed reading \d+ worker", gateway.output()[log_offset:])
