"""Per-user limits, links (issue 8, item 4): one user naming 1,000 IRC
servers gets at most max_links_per_user legacy connections (the default,
5), and every join past that is answered with an error presence
(policy-violation) that names the limit.  Nothing else gives: the daemon
keeps its PID, the component its stream, and /metrics counts the
rejections.

The servers are loopback addresses where nothing listens (127.1.x.y; the
harness allows 127.0.0.0/8), so a link is made and its login goes to a
worker, which is refused at once and retries (link_give_up_after = 0:
the links keep their slots), without DNS or any real network.  The joins go in batches, and after each one the test reads the
link count from /metrics: without a limit it fails at the first batch
instead of starting 1,000 worker processes.
"""

import re
from xml.sax.saxutils import quoteattr

import pytest

from harness import util
from harness.client import error_condition, to_string
from harness.ircgw import (  # noqa: F401 (fixtures)
    IRC, NS_CLIENT, NS_MUC, gateway, irc_checker, irc_prosody, make_irc_user, ngircd,
    ngircd_password, presences, send_message, wait_message)
from harness.metrics import error_text, metric, metrics

DEFAULT_MAX_LINKS = 5
SERVERS = 1000
BATCH = 50
NS_PING = "urn:xmpp:ping"


@pytest.fixture(scope="module")
def gateway_options():
    # the worst case: links that never connect keep their slots (retried
    # forever, as every link was before link_give_up_after); with the
    # default a link gives up after 3 tries, and a failed link with no
    # room gives its slot to the next server (tests/unit/test-limits.c)
    return {"link_give_up_after": 0}


def links(gateway):
    text = metrics(gateway)
    return int(sum(float(v) for v in re.findall(r'^polygate_links\{[^}]*\} (\S+)$', text,
                                                 re.M)))


def fence(client, jid=IRC):
    """A ping to the transport and its answer: the daemon has handled every
    stanza the client sent before it (Prosody passes them on in order)."""
    reply = client.iq_get(jid, f"<ping xmlns='{NS_PING}'/>", timeout=60)
    assert reply.get("type") == "result", to_string(reply)


def server(n):
    return f"127.1.{n // 250}.{n % 250 + 1}"


def room(n):
    return f"#l{n}%{server(n)}@{IRC}"


def logged_in_servers(gateway):
    """The servers the daemon started a login for (it logs each one)."""
    return set(re.findall(rf"/{re.escape(IRC)}/(127\.1\.\d+\.\d+): logging in",
                          gateway.output()))


def ready_count(gateway):
    return gateway.output().count(f"{IRC}: ready")


def test_a_user_naming_1000_irc_servers_gets_five_links_and_errors_for_the_rest(
        gateway, make_irc_user):
    user = make_irc_user()
    pid = gateway.pid
    connections = ready_count(gateway)
    assert connections == 1, gateway.tail()

    for start in range(0, SERVERS, BATCH):
        user.client.send_raw("".join(
            f"<presence xmlns='{NS_CLIENT}' to={quoteattr(room(n) + '/' + user.nick)}>"
            f"<x xmlns='{NS_MUC}'/></presence>" for n in range(start, start + BATCH)))
        fence(user.client)
        made = links(gateway)
        assert made <= DEFAULT_MAX_LINKS, \
            f"{made} links after joins naming {start + BATCH} servers"

    # the first five servers got a link each; every later join an error
    # presence from the room it named, with the limit in its text
    def refused():
        return presences(user.client, lambda p: p.get("type") == "error")
    util.wait_for(lambda: len(refused()) >= SERVERS - DEFAULT_MAX_LINKS, 120,
                  f"{SERVERS - DEFAULT_MAX_LINKS} error presences", gateway.log_path)
    errors = refused()
    assert len(errors) == SERVERS - DEFAULT_MAX_LINKS
    assert {p.get("from").split("/")[0] for p in errors} == \
        {room(n) for n in range(DEFAULT_MAX_LINKS, SERVERS)}
    assert logged_in_servers(gateway) == {server(n) for n in range(DEFAULT_MAX_LINKS)}
    for p in errors:
        assert error_condition(p) == ("cancel", "policy-violation"), to_string(p)
        assert "max_links_per_user = 5" in error_text(p), to_string(p)
    assert links(gateway) == DEFAULT_MAX_LINKS

    # a chat message to a sixth server: an error message, not a link
    msg_id = send_message(user.client, f"someone%127.2.0.1@{IRC}", "hello")
    reply = wait_message(user.client, lambda m: m.get("id") == msg_id
                         and m.get("type") == "error", 30, "the error for the message",
                         (gateway.log_path,))
    assert error_condition(reply) == ("cancel", "policy-violation"), to_string(reply)

    # a name past the limit is refused before the IRC server gate resolves
    # it: an unresolvable one gets policy-violation at once, not
    # remote-server-not-found after a lookup
    names = [f"#n{n}%n{n}.polygate-test.invalid@{IRC}" for n in range(50)]
    user.client.send_raw("".join(
        f"<presence xmlns='{NS_CLIENT}' to={quoteattr(name + '/' + user.nick)}>"
        f"<x xmlns='{NS_MUC}'/></presence>" for name in names))
    fence(user.client)
    by_name = {}
    util.wait_for(lambda: len({p.get("from").split("/")[0] for p in presences(
        user.client, lambda p: p.get("type") == "error"
        and p.get("from", "").split("/")[0] in names)}) == len(names), 60,
        "an answer to each join naming a host", gateway.log_path)
    for p in presences(user.client, lambda p: p.get("type") == "error"
                       and p.get("from", "").split("/")[0] in names):
        by_name[p.get("from").split("/")[0]] = error_condition(p)
    assert set(by_name.values()) == {("cancel", "policy-violation")}, by_name

    # one worker per link (users_per_worker = 1), never more
    assert len(gateway.worker_pids()) <= DEFAULT_MAX_LINKS
    text = metrics(gateway)
    assert metric(text, "polygate_limit_rejections_total", transport=IRC,
                  limit="links") == SERVERS - DEFAULT_MAX_LINKS + 1 + len(names), text
    assert metric(text, "polygate_limit_per_user", transport=IRC,
                  limit="links") == DEFAULT_MAX_LINKS, text
    assert gateway.running and gateway.pid == pid
    assert ready_count(gateway) == connections, "the component reconnected"
