#!/usr/bin/python3
"""Benchmark (not a test; CI never runs it): how long a `purple` transport
takes to answer a XEP-0077 registration form built from its plugin's
protocol info, which the daemon read once at start (issue 9: under 20 ms).

It starts its own Prosody and polygate on free 127.0.0.1 ports through the
integration harness, with one purple transport per protocol given, waits
until they answer, then has one slixmpp client ask each transport for its
form N times in a row and reports the round trip (client -> Prosody ->
polygate -> Prosody -> client) per transport, and the daemon's start time
(the one short-lived worker that reads the plugins included).

    /usr/bin/python3 contrib/bench/form_bench.py [--requests 500] [--binary PATH]
        [--protocol prpl-jabber --protocol prpl-sipe ...]

Use a non-sanitized build (contrib/scripts/demo.sh builds build-demo/): ASan
multiplies time.  Prints one "key: value" line per number.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import benchlib  # first: it puts tests/integration on sys.path

from harness import util  # noqa: E402
from harness.client import XmppClient  # noqa: E402
from harness.polygate import Polygate  # noqa: E402
from harness.prosody import DOMAIN, Prosody  # noqa: E402
from harness.xep import NS_DATA, register_get  # noqa: E402

# where default_binary() looks for polygate, first to last
BUILDS = ("build-demo", "build-bench", "build", "build-harness")

DEFAULT_PROTOCOLS = ("prpl-jabber", "prpl-sipe", "prpl-eionrobb-discord", "prpl-irc")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--binary", default=benchlib.default_binary(BUILDS))
    parser.add_argument("--protocol", action="append", dest="protocols")
    args = parser.parse_args()
    protocols = args.protocols or list(DEFAULT_PROTOCOLS)
    args.binary = benchlib.binary_or_exit(args.binary)

    jids = {p: p.replace("prpl-", "form-") + ".localhost" for p in protocols}
    with tempfile.TemporaryDirectory(prefix="form-bench-") as directory:
        certs = os.path.join(directory, "certs")
        os.makedirs(certs)
        util.selfsigned_cert(certs, DOMAIN)
        prosody = Prosody(os.path.join(directory, "prosody"), certs,
                          components=tuple(jids.values()))
        prosody.create_user("bench")
        prosody.start()
        client = None
        daemon = None
        try:
            client = XmppClient(f"bench@{DOMAIN}", prosody.passwords[f"bench@{DOMAIN}"],
                                port=prosody.c2s_port).connect()
            transports = [{"name": p.replace("prpl-", "").replace("-", "_"), "jid": jid,
                           "type": "purple", "display": p, "purple_protocol": p}
                          for p, jid in jids.items()]
            daemon = Polygate(args.binary, os.path.join(directory, "polygate"), prosody,
                              transports=transports, log_level="message")
            started = time.perf_counter()
            daemon.start(client, timeout=60)
            print(f"start_to_ready_ms: {(time.perf_counter() - started) * 1000:.0f}")
            for protocol, jid in jids.items():
                times = []
                fields = 0
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    reply = client.iq_get(jid, register_get())
                    times.append((time.perf_counter() - t0) * 1000)
                    if reply.get("type") != "result":
                        sys.exit(f"{jid}: {reply.get('type')}")
                    fields = len(reply.findall(f".//{{{NS_DATA}}}field"))
                print(f"{protocol}_fields: {fields}")
                print(f"{protocol}_form_ms_p50: {statistics.median(times):.2f}")
                print(f"{protocol}_form_ms_p99: {percentile(times, 0.99):.2f}")
                print(f"{protocol}_form_ms_max: {max(times):.2f}")
        finally:
            if client is not None:
                client.disconnect()
            if daemon is not None:
                daemon.stop()
            prosody.stop()


if __name__ == "__main__":
    main()
