"""Harness for Polygate's integration tests: real servers on 127.0.0.1.

prosody.Prosody   a Prosody started from a generated config on free ports
polygate.Polygate the daemon under test, checked for a clean exit on stop
client.XmppClient a blocking wrapper around slixmpp for test code
jabber            prpl-jabber against a second Prosody host as the legacy network
util              free ports, bounded waits, log tails

Also used by contrib/bench/register_bench.py.
"""
