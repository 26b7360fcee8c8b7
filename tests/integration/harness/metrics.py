"""Reading the daemon's /metrics (Prometheus text format) and stanza error
texts, for the tests of the per-user limits (tests/integration/test_limits_*)."""

import re
import urllib.request

NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def metrics(daemon):
    """The text of the daemon's /metrics."""
    url = f"http://127.0.0.1:{daemon.http_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.read().decode()


def metric(text, name, **labels):
    """The value of the first sample of name whose labels include labels, or None."""
    for line in text.splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m is None or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


def error_text(stanza):
    """The <text/> of a stanza's <error/>, or ''."""
    error = stanza.find(f"{{{NS_CLIENT}}}error")
    text = error.find(f"{{{NS_STANZAS}}}text") if error is not None else None
    return (text.text or "") if text is not None else ""
