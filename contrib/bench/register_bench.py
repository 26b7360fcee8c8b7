#!/usr/bin/python3
"""Benchmark (not a test; CI never runs it): XEP-0077 registrations per second
through Polygate, its memory with three transports, and its idle CPU.

It starts its own Prosody and polygate on free 127.0.0.1 ports through the
integration harness, creates N accounts, logs N slixmpp clients in at once,
then has every client register with irc.localhost at the same moment.

    /usr/bin/python3 contrib/bench/register_bench.py [--users 200] [--binary PATH]

Use a non-sanitized build (contrib/scripts/demo.sh builds build-demo/): ASan
multiplies memory and time.  Prints one "key: value" line per number.
"""

import argparse
import asyncio
import concurrent.futures
import os
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET

import benchlib  # first: it puts tests/integration on sys.path

import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402

from harness import util  # noqa: E402
from harness.client import XmppClient  # noqa: E402
from harness.polygate import Polygate  # noqa: E402
from harness.prosody import DOMAIN, Prosody  # noqa: E402
from harness.xep import register_form  # noqa: E402

# where default_binary() looks for polygate, first to last
BUILDS = ("build-demo", "build-bench", "build", "build-harness")


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command name: fields[11] = utime, fields[12] = stime (clock ticks).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def create_accounts(prosody, count, workers=8):
    names = [f"bench{i}" for i in range(count)]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(prosody.create_user, names))


async def login_all(jids, prosody, timeout):
    clients = []

    async def login(jid):
        xmpp = slixmpp.ClientXMPP(jid, prosody.passwords[jid])
        xmpp.auto_authorize = None
        xmpp.auto_subscribe = False
        started = asyncio.get_running_loop().create_future()
        xmpp.add_event_handler("session_start",
                               lambda _e: started.done() or started.set_result(True))
        xmpp.add_event_handler("failed_auth",
                               lambda _e: started.done() or started.set_exception(
                                   RuntimeError(f"{jid}: login failed")))
        xmpp.connect(("127.0.0.1", prosody.c2s_port), force_starttls=False,
                     disable_starttls=True)
        await asyncio.wait_for(started, timeout)
        clients.append(xmpp)

    await asyncio.gather(*(login(jid) for jid in jids))
    return clients


async def register_all(clients, transport, timeout):
    """Every client registers at once; returns (wall seconds, latencies, errors)."""
    async def register(index, xmpp):
        iq = xmpp.Iq()
        iq["to"] = transport
        iq["type"] = "set"
        iq.append(ET.fromstring(register_form({"nick": f"bench{index}"})))
        started = time.perf_counter()
        try:
            await iq.send(timeout=timeout)
            return time.perf_counter() - started, None
        except IqError as e:
            return time.perf_counter() - started, e.condition
        except IqTimeout:
            return time.perf_counter() - started, "timeout"

    started = time.perf_counter()
    results = await asyncio.gather(*(register(i, x) for i, x in enumerate(clients)))
    wall = time.perf_counter() - started
    return wall, [r[0] for r in results], [r[1] for r in results if r[1] is not None]


async def disconnect_all(clients):
    await asyncio.gather(*(x.disconnect(wait=1.0) for x in clients), return_exceptions=True)
    # slixmpp leaves a filter task per client running: cancel them so the
    # loop closes quietly.
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--binary", default=benchlib.default_binary(BUILDS))
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    args.binary = benchlib.binary_or_exit(args.binary)

    workdir = tempfile.mkdtemp(prefix="polygate-bench-")
    util.selfsigned_cert(os.path.join(workdir, "certs"))
    prosody = Prosody(os.path.join(workdir, "prosody"), os.path.join(workdir, "certs"))
    prosody.create_user("harness")
    started = time.perf_counter()
    jids = create_accounts(prosody, args.users)
    print(f"accounts_created: {len(jids)} in {time.perf_counter() - started:.1f} s")
    prosody.start()
    daemon = Polygate(args.binary, os.path.join(workdir, "polygate"), prosody, log_level="info")
    checker = XmppClient(f"harness@{DOMAIN}", prosody.passwords[f"harness@{DOMAIN}"],
                         port=prosody.c2s_port).connect()
    try:
        daemon.start(checker)
        print(f"polygate: {args.binary} (pid {daemon.pid}), transports: {len(daemon.jids)}")
        print(f"rss_kib_idle_3_transports: {proc_rss_kib(daemon.pid)}")

        loop = asyncio.new_event_loop()
        started = time.perf_counter()
        clients = loop.run_until_complete(login_all(jids, prosody, args.timeout))
        print(f"clients_logged_in: {len(clients)} in {time.perf_counter() - started:.1f} s")

        wall, latencies, errors = loop.run_until_complete(
            register_all(clients, "irc.localhost", args.timeout))
        ok = len(latencies) - len(errors)
        print(f"registrations: {ok} ok, {len(errors)} failed"
              + (f" ({sorted(set(errors))})" if errors else ""))
        print(f"registrations_per_second: {ok / wall:.0f}")
        print(f"registration_latency_ms: p50 {statistics.median(latencies) * 1000:.1f}"
              f" p99 {percentile(latencies, 0.99) * 1000:.1f}"
              f" max {max(latencies) * 1000:.1f}")
        print(f"rss_kib_after_{ok}_registrations: {proc_rss_kib(daemon.pid)}")

        loop.run_until_complete(disconnect_all(clients))
        loop.close()

        cpu_before = proc_cpu_seconds(daemon.pid)
        time.sleep(args.idle_seconds)  # measuring idle CPU over a fixed window
        cpu = proc_cpu_seconds(daemon.pid) - cpu_before
        print(f"idle_cpu: {cpu:.3f} s over {args.idle_seconds:.0f} s "
              f"({100 * cpu / args.idle_seconds:.2f} %)")
        print(f"rss_kib_end: {proc_rss_kib(daemon.pid)}")
    finally:
        checker.disconnect()
        try:
            daemon.stop()
        finally:
            prosody.stop()
        if not args.keep:
            import shutil
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept: {workdir}")


if __name__ == "__main__":
    main()
