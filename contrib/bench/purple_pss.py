#!/usr/bin/python3
"""Benchmark (not a test; CI never runs it): the memory of a prpl-jabber worker
per isolated user (issue 9: at most 4 MiB PSS per user), read from
/proc/PID/smaps_rollup.

It starts its own Prosody on free 127.0.0.1 ports through the integration
harness, with a second virtual host, legacy.localhost, as the legacy XMPP
network.  For each N it starts a fresh polygate (one `purple` transport,
prpl-jabber, users_per_worker = 1: one worker per user), registers N users
on it, each with its own legacy account, has them go online, answers the
legacy server's certificate question by chat ("1": accept), waits until
Prosody says every legacy account is authenticated and then for the
workers' memory to stop changing, and reads each worker's smaps_rollup.

    /usr/bin/python3 contrib/bench/purple_pss.py [--users 1,10,50] [--binary PATH]

PSS divides each shared page among the processes that map it, so the PSS
per user falls with N (the libraries are shared by more workers);
Private_Clean + Private_Dirty is what one more isolated user costs the box
(pages no other process maps), whatever N.  Both are printed, per N, as
one "key: value" line per number (KiB), plus the daemon's own PSS.  Use a
non-sanitized build (see README.md): ASan multiplies memory.
"""

import argparse
import concurrent.futures
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import benchlib  # first: it puts tests/integration on sys.path

from harness import util  # noqa: E402
from harness.client import XmppClient  # noqa: E402
from harness.ircgw import IrcPolygate, worker_pids  # noqa: E402
from harness.prosody import DOMAIN, Prosody  # noqa: E402
from harness.xep import register_form  # noqa: E402

# where default_binary() looks for polygate, first to last
BUILDS = ("build-bench", "build-demo", "build", "build-harness")

LEGACY = "legacy.localhost"
GATEWAY = "xmpp.localhost"
FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Shared_Clean", "Shared_Dirty",
          "Private_Clean", "Private_Dirty")


def smaps_rollup(pid):
    """The KiB fields of /proc/PID/smaps_rollup."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in FIELDS:
                values[name] = int(rest.split()[0])
    return values


def top_mappings(pid, count):
    """The mappings of pid with the most Private_Dirty, from /proc/PID/smaps:
    (KiB, Private_Clean KiB, name), largest first."""
    rows, name, dirty, clean = [], None, 0, 0
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if ":" not in head[0]:
                if name is not None:
                    rows.append((dirty, clean, name))
                name = head[5] if len(head) > 5 else "[anon]"
                dirty = clean = 0
            elif head[0] == "Private_Dirty:":
                dirty = int(head[1])
            elif head[0] == "Private_Clean:":
                clean = int(head[1])
    if name is not None:
        rows.append((dirty, clean, name))
    merged = {}
    for dirty, clean, name in rows:
        d, c = merged.get(name, (0, 0))
        merged[name] = (d + dirty, c + clean)
    return sorted(((d, c, n) for n, (d, c) in merged.items()), reverse=True)[:count]


def wait_stable(pids, timeout, quiet):
    """Until the workers' summed PSS has not moved by more than 1 % for
    `quiet` seconds (prpl-jabber fetches the roster, disco and caps after
    it authenticates), or timeout.  A measurement's settling, not a test."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        total = sum(smaps_rollup(p)["Pss"] for p in pids)
        if last is None or abs(total - last) > last / 100:
            last, since = total, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True
        time.sleep(0.25)
    return False


def authenticated(prosody, jid):
    return util.log_tail(prosody.log_path, 1000000).count(f"Authenticated as {jid}")


def run(n, args, prosody, checker, users, legacy, directory):
    worker = args.worker or os.path.join(os.path.dirname(os.path.dirname(args.binary)),
                                         "backends", "purple", "polygate-purple")
    options = {"users_per_worker": 1, "max_concurrent_logins": max(10, n)}
    if os.access(worker, os.X_OK):
        options["worker"] = worker
    if args.sandbox:
        options["worker_sandbox"] = args.sandbox
    daemon = IrcPolygate(args.binary, os.path.join(directory, f"polygate-{n}"), prosody,
                         [{"name": "xmpp", "jid": GATEWAY, "type": "purple",
                           "display": "XMPP gateway", "purple_protocol": "prpl-jabber"}],
                         global_options=options, log_level="message")
    clients = []
    daemon.start(checker, timeout=60)
    try:
        for jid in users[:n]:
            clients.append(XmppClient(jid, prosody.passwords[jid], port=prosody.c2s_port)
                           .connect())
        before = {j: authenticated(prosody, j) for j in legacy[:n]}
        for client, legacy_jid in zip(clients, legacy):
            reply = client.iq_set(GATEWAY, register_form({
                "username": legacy_jid.split("@")[0], "split.domain": LEGACY,
                "password": prosody.passwords[legacy_jid],
                "option.connect_server": "127.0.0.1", "option.port": str(prosody.c2s_port)}))
            if reply.get("type") != "result":
                sys.exit(f"{client.jid}: registration: {reply.get('type')}")
            client.send_presence(to=GATEWAY)
        # the legacy server's self-signed certificate: each user accepts it
        # once (a CA-signed one needs no answer)
        for client in clients if not args.ca_signed else ():
            client.wait_every_message(
                lambda m: m.get("from") == GATEWAY and
                "Accept certificate" in (m.findtext("{jabber:client}body") or ""),
                timeout=args.timeout, what="the certificate question")
            client.send_raw(f"<message to='{GATEWAY}' type='chat'><body>1</body></message>")
        util.wait_for(lambda: all(authenticated(prosody, j) > before[j] for j in legacy[:n]),
                      args.timeout, f"{n} legacy accounts to log in", daemon.log_path)
        pids = worker_pids(daemon.pid)
        if len(pids) != n:
            sys.exit(f"{len(pids)} workers for {n} isolated users")
        stable = wait_stable(pids, args.timeout, args.quiet_seconds)
        rollups = [smaps_rollup(p) for p in pids]
        result = {"users": n, "workers": len(pids), "settled": stable}
        for field in FIELDS:
            result[f"worker_{field.lower()}_kib_mean"] = statistics.mean(r[field] for r in rollups)
        result["pss_per_user_kib"] = sum(r["Pss"] for r in rollups) / n
        result["private_per_worker_kib"] = statistics.mean(
            r["Private_Clean"] + r["Private_Dirty"] for r in rollups)
        result["daemon_pss_kib"] = smaps_rollup(daemon.pid)["Pss"]
        threads = [len(os.listdir(f"/proc/{p}/task")) for p in pids]
        result["worker_threads_max"] = max(threads)
        if args.detail:
            print(f"n{n}: private KiB of one worker by mapping (dirty, clean, name):")
            for dirty, clean, name in top_mappings(pids[0], args.detail):
                print(f"  {dirty:6d} {clean:6d} {name}")
        return result
    finally:
        for client in clients:
            client.disconnect()
        daemon.stop(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="1,10,50",
                        help="comma-separated N (default 1,10,50)")
    parser.add_argument("--binary", default=benchlib.default_binary(BUILDS))
    parser.add_argument("--worker", help="the worker program (default: the build's)")
    parser.add_argument("--sandbox", choices=("required", "best-effort", "off"),
                        help="worker_sandbox (default: the daemon's default)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--quiet-seconds", type=float, default=5.0,
                        help="measure once the workers' PSS has not moved for this long")
    parser.add_argument("--detail", type=int, default=0, metavar="K",
                        help="also print one worker's K mappings with the most private "
                        "dirty memory")
    parser.add_argument("--ca-signed", action="store_true",
                        help="the legacy server's certificate is signed by a test CA listed "
                        "as a system CA (as a public CA's would be): the worker's CA pool "
                        "is loaded, and nobody is asked (needs root)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    counts = [int(n) for n in args.users.split(",") if n]
    args.binary = benchlib.binary_or_exit(args.binary)

    directory = tempfile.mkdtemp(prefix="purple-pss-")
    certs = os.path.join(directory, "certs")
    os.makedirs(certs)
    # the CA is listed until the end (the finally below closes the stack)
    listing = contextlib.ExitStack()
    if args.ca_signed:
        listing.enter_context(util.listed_system_ca(util.ca_signed_cert(certs, DOMAIN)))
    else:
        util.selfsigned_cert(certs, DOMAIN)
    prosody = Prosody(os.path.join(directory, "prosody"), certs, components=(GATEWAY,),
                      extra_lines=[f'VirtualHost "{LEGACY}"'])
    most = max(counts)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        users = list(pool.map(prosody.create_user, [f"pss{i}" for i in range(most)]))
        legacy = list(pool.map(lambda i: prosody.create_user(f"legacy{i}", LEGACY),
                               range(most)))
    prosody.create_user("checker")
    prosody.start()
    checker = None
    results = []
    try:
        checker = XmppClient(f"checker@{DOMAIN}", prosody.passwords[f"checker@{DOMAIN}"],
                             port=prosody.c2s_port).connect()
        for n in counts:
            result = run(n, args, prosody, checker, users, legacy, directory)
            results.append(result)
            for key, value in result.items():
                if key != "users":
                    shown = f"{value:.0f}" if isinstance(value, float) else value
                    print(f"n{n}_{key}: {shown}", flush=True)
    finally:
        if checker is not None:
            checker.disconnect()
        listing.close()
        prosody.stop()
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            print(f"kept: {directory}", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
