"""The community bridge (issue 11) on ejabberd 23.01 (mod_muc + mod_mam),
with ngircd: test_bridge.py's consent and both-ways tests and
test_bridge_resilience.py's kicks, ircd restart, netsplit and server
restart, on the other server."""

import pytest

from harness import ejabberd as ejabberd_harness
from harness.bridge import (  # noqa: F401 (fixtures)
    MUC, Bridged, bridge_checker, bridge_configs, bridge_gateway, bridge_options, make_irc,
    ngircd)
from harness.ircgw import IRC

import test_bridge
import test_bridge_resilience


@pytest.fixture(scope="module")
def bridge_prosody(tmp_path_factory):
    """ejabberd in the place of the Prosody the bridge fixtures expect."""
    if not ejabberd_harness.available():
        pytest.fail("ejabberd is not installed (contrib/scripts/install-deps.sh)",
                    pytrace=False)
    server = ejabberd_harness.Ejabberd(str(tmp_path_factory.mktemp("ejabberd-bridge")),
                                       components=(IRC, "ircnet.localhost"))
    # modules: is the last key of its config
    with open(server.config_path, "a") as f:
        f.write("  mod_mam:\n    default: always\n"
                f"  mod_muc:\n    host: {MUC}\n"
                "    default_room_options:\n      mam: true\n      persistent: true\n"
                "      public: true\n")
    server.start()
    server.create_user("harness")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bridge_names():
    return ("consent", "both", "kicks", "split", "netsplit", "restart")


@pytest.fixture
def bridged(bridge_gateway, bridge_configs, make_irc):
    made = []

    def make(name):
        b = Bridged(bridge_gateway, name, bridge_configs[name], make_irc)
        b.ROOM_FIELDS = ()  # default_room_options above
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


def test_the_bridge_joins_only_after_a_chanop_approves_and_refuses_anyone_else(bridged):
    test_bridge.test_the_bridge_joins_only_after_a_chanop_approves_and_refuses_anyone_else(
        bridged)


def test_three_irc_nicks_and_three_xmpp_occupants_see_every_line_once(bridged):
    test_bridge.test_three_irc_nicks_and_three_xmpp_occupants_see_every_line_once(bridged)


def test_kicks_both_ways(bridged):
    test_bridge_resilience.test_an_irc_op_kick_is_an_occupant_kick_and_a_room_kick_is_an_irc_kick(
        bridged)


def test_an_ircd_restart_brings_no_part_join_flood_into_the_room(bridged, ngircd):
    test_bridge_resilience.test_an_ircd_restart_brings_no_part_join_flood_into_the_room(
        bridged, ngircd)


def test_a_netsplit_quit_is_held_and_a_plain_quit_is_not(bridged, ngircd, tmp_path):
    test_bridge_resilience.test_a_netsplit_quit_is_held_and_a_plain_quit_is_not(
        bridged, ngircd, tmp_path)


def test_after_an_ejabberd_restart_the_bridge_rejoins_the_room_by_itself(bridged,
                                                                          bridge_prosody):
    test_bridge_resilience.test_after_a_prosody_restart_the_bridge_rejoins_the_room_by_itself(
        bridged, bridge_prosody)
