"""What a room's archive keeps of a line sent with an old time (issue 11 §6).

`polygate bridge import` spools old IRC lines for a replay into the native
room, each sent by its puppet with a XEP-0203 <delay stamp='original'/>.
Whether that gives the room's history its original times depends on the
server's MUC archive, so this measures it on the two servers we support:
Prosody 0.12 (mod_muc + mod_muc_mam) and ejabberd 23.01 (mod_muc + mod_mam).

An occupant sends a groupchat message carrying a delay from 2020 and we look
at (1) the copy the room reflects, (2) the archive's <forwarded/> item: its
own XEP-0203 stamp and whether the message inside still has ours, and (3)
whether a XEP-0313 query bounded to 2020 finds it (is it filed under the
original time or the arrival time?).  The assertions pin what the servers
did when this was written; if a server changes, this fails and README.md
"Move a community" must be updated with it.
"""

import datetime
import uuid

import pytest

from harness import ejabberd as ejabberd_harness
from harness.client import XmppClient, to_string
from harness.prosody import DOMAIN, Prosody

NS_MAM = "urn:xmpp:mam:2"
NS_DELAY = "urn:xmpp:delay"
NS_FORWARD = "urn:xmpp:forward:0"
NS_CLIENT = "jabber:client"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
MUC = f"conference.{DOMAIN}"
OLD_STAMP = "2020-01-01T10:00:00Z"


@pytest.fixture(scope="module", params=["prosody", "ejabberd"])
def server(request, tmp_path_factory, cert_dir):
    if request.param == "prosody":
        srv = Prosody(str(tmp_path_factory.mktemp("prosody-mam")), cert_dir, components=("unused.localhost",),
                      extra_lines=(f'Component "{MUC}" "muc"',
                                   '  modules_enabled = { "muc_mam" }'))
        srv.create_user("alice")
        srv.start()
    else:
        if not ejabberd_harness.available():
            pytest.fail("ejabberd is not installed (contrib/scripts/install-deps.sh)",
                        pytrace=False)
        srv = ejabberd_harness.Ejabberd(str(tmp_path_factory.mktemp("ejabberd-mam")),
                                        components=("unused.localhost",))
        # modules: is the last key of its config
        with open(srv.config_path, "a") as f:
            f.write("  mod_mam:\n    default: always\n"
                    f"  mod_muc:\n    host: {MUC}\n"
                    "    default_room_options:\n      mam: true\n")
        srv.start()
        srv.create_user("alice")
    srv.kind = request.param
    yield srv
    srv.stop()


def stamp(element):
    delay = element.find(f"{{{NS_DELAY}}}delay")
    return None if delay is None else delay.get("stamp")


def parse(stamp_text):
    return datetime.datetime.fromisoformat(stamp_text.replace("Z", "+00:00"))


def mam_items(client, room, form_fields=""):
    """Every archived item a XEP-0313 query returns: [(forwarded stamp, message)]."""
    queryid = uuid.uuid4().hex
    form = ""
    if form_fields:
        form = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
                f"<value>{NS_MAM}</value></field>{form_fields}</x>")
    reply = client.iq_set(room, f"<query xmlns='{NS_MAM}' queryid='{queryid}'>{form}</query>")
    assert reply.get("type") == "result", to_string(reply)
    items = []
    for m in list(client.every_message):
        result = m.find(f"{{{NS_MAM}}}result")
        if result is None or result.get("queryid") != queryid:
            continue
        forwarded = result.find(f"{{{NS_FORWARD}}}forwarded")
        items.append((stamp(forwarded), forwarded.find(f"{{{NS_CLIENT}}}message")))
    return items


def test_what_the_room_archive_keeps_of_a_delayed_line(server):
    alice = XmppClient(f"alice@{DOMAIN}", server.passwords[f"alice@{DOMAIN}"],
                       port=server.c2s_port).connect()
    room = f"import-{uuid.uuid4().hex[:8]}@{MUC}"
    try:
        alice.send_raw(f"<presence to='{room}/alice'><x xmlns='{NS_MUC}'/></presence>")
        alice.wait_for_presence(f"{room}/alice")
        # XEP-0045 §10.1.2: an instant room (Prosody keeps a new room locked)
        reply = alice.iq_set(room, f"<query xmlns='{NS_MUC_OWNER}'>"
                                   "<x xmlns='jabber:x:data' type='submit'/></query>")
        assert reply.get("type") == "result", to_string(reply)
        sent_at = datetime.datetime.now(datetime.timezone.utc)
        alice.send_raw(f"<message to='{room}' type='groupchat' id='imp1'>"
                       "<body>an imported line from 2020</body>"
                       f"<delay xmlns='{NS_DELAY}' from='{room}' stamp='{OLD_STAMP}'/>"
                       "</message>")
        reflected = alice.wait_every_message(
            lambda m: m.get("type") == "groupchat" and m.findtext(f"{{{NS_CLIENT}}}body")
            == "an imported line from 2020", what="the reflected line")

        items = mam_items(alice, room)
        assert len(items) == 1, [to_string(m) for _, m in items]
        archived_stamp, archived = items[0]
        in_2020 = mam_items(alice, room,
                            "<field var='start'><value>2019-12-31T00:00:00Z</value></field>"
                            "<field var='end'><value>2020-01-02T00:00:00Z</value></field>")
        now = mam_items(alice, room, "<field var='start'><value>"
                        + (sent_at - datetime.timedelta(minutes=5)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ") + "</value></field>")
    finally:
        alice.disconnect()

    print(f"\n{server.kind}: reflected delay={stamp(reflected)}; archived at {archived_stamp}, "
          f"inner delay={stamp(archived)}; found by a 2020 query: {len(in_2020)}, "
          f"by a query from now: {len(now)}")
    print(f"{server.kind} archived: {to_string(archived)}")
    # (2) the archive files it under its arrival time, on both servers
    assert abs((parse(archived_stamp) - sent_at).total_seconds()) < 120
    assert in_2020 == [] and len(now) == 1
    # (1) and (2): whether our <delay/> survives, per server
    if server.kind == "prosody":
        # mod_muc drops an occupant's <delay/>: the original time is gone
        # from the room, its copies and its archive
        assert stamp(reflected) is None
        assert stamp(archived) is None
    else:
        # ejabberd keeps it inside the archived message; a client that
        # reads the inner <delay/> shows the original time, the others
        # (and every time-bounded query) the arrival time
        assert stamp(reflected) == OLD_STAMP
        assert stamp(archived) == OLD_STAMP
