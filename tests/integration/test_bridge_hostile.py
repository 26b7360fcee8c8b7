"""Hostile input through a community bridge (issue 11), on Prosody + ngircd.

- XMPP occupants with odd room nicks (right-to-left override, zero-width
  characters, emoji, 1000 characters, spaces and IRC's own separators
  `!@:%`): each line reaches IRC once, as one `<nick> text` line whose nick
  holds no control, bidi or white space, and the bridge stays in the
  channel.
- IRC nicks that collide only by RFC 1459 casemapping (`[]\\` against `{}|`;
  ngircd compares them as ASCII, so both live at once) are two puppets, and
  a nick that changes only its case is one puppet renamed.
- Room bodies with CR, TAB, U+2028 and IRC commands after a line break
  never become an IRC command; a line longer than an IRC line arrives in
  pieces cut on character boundaries, every word once; a message above
  the multi-line limit is refused to its sender, never cut silently; IRC lines with formatting and control
  characters, and bytes that are not UTF-8, reach the room as valid XML
  with their words.
Nothing crashes: the gateway is the same process at the end of each test.
"""

import re
import unicodedata

import pytest
import slixmpp

from harness.bridge import (  # noqa: F401 (fixtures)
    bridge_checker, bridge_configs, bridge_gateway, bridge_options, bridge_prosody, bridged,
    make_irc, ngircd, presence_of, unbroken)
from harness.bridge import ZWSP, util_text
from harness.ircgw import (join_room, messages, ptype, statuses, unique, wait_message,
                           wait_presence)

# What a nick must not carry on IRC (src/bridge/pg-bridge-render.h).
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


@pytest.fixture(scope="module")
def bridge_names():
    return ("oddnick", "casemap", "bodies", "long")


def ready(b):
    """Room created by its owner, channel with its chanop, bridge approved,
    the op's puppet in the room."""
    owner = b.create_room()
    op = b.chanop("op")
    b.approve(op)
    wait_presence(owner.client, presence_of(b.room, op.nick), 45, "the op's puppet", b.logs)
    return owner, op


def relay_lines(op):
    return op.lines(lambda l: l.command == "PRIVMSG" and l.text.startswith("<"))


def still_in_channel(b, op):
    assert not op.lines(lambda l: l.command in ("QUIT", "PART", "KICK")
                        and (l.nick or "").lower() == b.nick.lower()), \
        "the bridge left the channel"
    assert b.gateway.running, "the gateway died"


def check_irc_nick(nick):
    """The nick between < and > on IRC: no control, bidi or white space,
    at most 32 characters besides the one U+200B after the first."""
    plain = nick.replace(ZWSP, "", 1)
    assert plain, nick
    assert len(plain) <= 32, (len(plain), nick)
    for ch in plain:
        assert ch not in BIDI, repr(nick)
        assert unicodedata.category(ch) not in ("Cc", "Zl", "Zp"), repr(nick)
        assert not ch.isspace(), repr(nick)


ODD_NICKS = [
    ("rtl-override", "\u202eevil\u202c"),  # resourceprep refuses it: never sent
    ("rtl-isolate", "\u2067abc\u2069"),     # later than stringprep's Unicode 3.2
    ("combining", "x\u0301\u0301\u0301\u0301\u0301"),
    ("hebrew", "\u05e9\u05dc\u05d5\u05dd"),
    ("zero-width", "a\u200bb\u200dc"),
    ("emoji", "\U0001f98afox\U0001f3f3\ufe0f\u200d\U0001f308"),
    ("old-emoji", "\u263a\u2603snow"),  # in Unicode 3.2
    ("separators", "a b!c@d:e%f"),
    ("long", "n" * 1000),
]


def test_odd_xmpp_room_nicks_reach_irc_as_one_valid_line_each(bridged):
    b = bridged("oddnick")
    owner, op = ready(b)
    accepted = set()
    refused = {}
    for label, nick in ODD_NICKS:
        try:
            slixmpp.JID(f"{b.room}/{nick}")
        except slixmpp.InvalidJID:
            continue  # no XMPP client can join with it (RFC 3920 resourceprep)
        person = b.occupant(nick)
        join_room(person.client, b.room, nick)
        joined = wait_presence(person.client,
                               lambda p: p.get("from", "").startswith(f"{b.room}/")
                               and (110 in statuses(p) or ptype(p) == "error"), 30,
                               f"{label}: the join's answer", b.logs)
        if ptype(joined) == "error":
            # the room's own rule (e.g. a nick length limit): not the bridge's
            refused[label] = util_text(joined)
            continue
        text = f"hello from {label} {unique('t')}"
        person.say(text)
        line = op.wait_for(lambda l: l.command == "PRIVMSG" and unbroken(l.text).endswith(
            f"> {text}"), 30, f"{label}'s line on IRC", b.logs)
        match = re.fullmatch(r"<([^>]*)> (.*)", line.text, re.S)
        assert match, line.line
        check_irc_nick(match.group(1))
        assert len(line.raw) <= 512, len(line.raw)
        # exactly once
        assert len(op.lines(lambda l, t=text: l.command == "PRIVMSG"
                            and unbroken(l.text).endswith(t))) == 1
        accepted.add(label)
    # stringprep refuses some (Prosody's strict validation: code points after
    # Unicode 3.2, such as most emoji) and a server may cap a nick's length;
    # these every server takes
    assert {"combining", "hebrew", "zero-width", "separators"} <= accepted, refused
    still_in_channel(b, op)


def test_irc_nicks_that_collide_only_by_casemapping_are_two_puppets(bridged, ngircd):
    b = bridged("casemap")
    owner, op = ready(b)
    base = unique("c")[:12]
    square = b.make_irc(nick=f"{base}sq")
    curly = b.make_irc(nick=f"{base}cu")
    # ngircd takes these in NICK, not as the USER name it derives at login
    square.change_nick(f"{base}[x]")
    curly.change_nick(f"{base}{{x}}")
    for person in (square, curly):
        person.join(b.channel)
        wait_presence(owner.client, presence_of(b.room, person.nick), 45,
                      f"{person.nick}'s puppet", b.logs)
    square.privmsg(b.channel, "said with square brackets")
    curly.privmsg(b.channel, "said with curly brackets")
    owner.wait_line(square.nick, "said with square brackets", 30, b.logs)
    owner.wait_line(curly.nick, "said with curly brackets", 30, b.logs)
    # a nick that changes only its case is the same puppet, renamed
    old = square.nick
    square.change_nick(old.upper())
    wait_presence(owner.client, presence_of(b.room, old.upper()), 30,
                  "the puppet under its new case", b.logs)
    square.privmsg(b.channel, "after the case change")
    owner.wait_line(old.upper(), "after the case change", 30, b.logs)
    assert not [m for m in messages(owner.client)
                if "after the case change" in (m.findtext("{jabber:client}body") or "")
                and m.get("from") != f"{b.room}/{old.upper()}"]
    still_in_channel(b, op)


def test_hostile_bodies_never_become_irc_commands_nor_invalid_xml(bridged):
    b = bridged("bodies")
    owner, op = ready(b)
    # XMPP -> IRC: line breaks of every kind before an IRC command
    owner.client.send_raw(f"<message xmlns='jabber:client' to='{b.room}' type='groupchat'>"
                          f"<body>one&#13;QUIT :pwned&#13;&#10;PRIVMSG {b.channel} :fake"
                          f"\u2028JOIN #elsewhere\tend</body></message>")
    op.wait_for(lambda l: l.command == "PRIVMSG" and "end" in unbroken(l.text), 30,
                "the last line of the body", b.logs)
    for line in relay_lines(op):
        assert line.nick.lower() == b.nick.lower() and line.target.lower() == b.channel.lower()
    assert not op.lines(lambda l: l.command == "PRIVMSG" and l.text == "fake")
    # IRC -> XMPP: formatting, controls, not UTF-8
    talker = b.make_irc("t")
    talker.join(b.channel)
    wait_presence(owner.client, presence_of(b.room, talker.nick), 45, "the talker's puppet",
                  b.logs)
    talker.privmsg(b.channel, b"\x02bold\x02 \x0304,01red\x03 \x1funder\x1f \x16rev\x16 "
                              b"\x0fplain \x07bell \x1b[31mescape \x7fdel caf\xe9 end1")
    got = wait_message(owner.client, lambda m: m.get("from") == f"{b.room}/{talker.nick}"
                       and "end1" in (m.findtext("{jabber:client}body") or ""), 30,
                       "the controlled line in the room", b.logs)
    text = got.findtext("{jabber:client}body")
    for word in ("bold", "red", "under", "rev", "plain", "bell", "escape", "del", "caf"):
        assert word in text, (word, text)
    assert not any(unicodedata.category(c) == "Cc" and c not in "\t\n" for c in text), repr(text)
    still_in_channel(b, op)


def test_long_room_lines_arrive_whole_in_valid_pieces_or_are_refused_aloud(bridged):
    b = bridged("long")
    owner, op = ready(b)
    words = [f"w{i}" for i in range(250)]  # ~1,100 bytes: three IRC lines
    owner.say(" ".join(words) + " lastword")
    op.wait_for(lambda l: l.command == "PRIVMSG" and l.text.endswith("lastword"), 30,
                "the last piece", b.logs)
    pieces = [l for l in op.lines(lambda l: l.command == "PRIVMSG" and l.nick.lower()
                                  == b.nick.lower() and l.text.startswith("<"))]
    got = " ".join(unbroken(p.text).split("> ", 1)[1] for p in pieces).split()
    assert got == words + ["lastword"], got
    # multi-byte text: cut between characters, never inside one
    owner.say("\u00e9" * 300 + "\U0001f98a" * 60 + " endutf8")
    op.wait_for(lambda l: l.command == "PRIVMSG" and l.text.endswith("endutf8"), 30,
                "the last multi-byte piece", b.logs)
    for line in op.lines(lambda l: l.command == "PRIVMSG"):
        line.raw.decode("utf-8")  # raises if a character was cut
        assert len(line.raw) <= 512, len(line.raw)
    # above multiline_threshold (4) under the default policy: refused, and said
    owner.say("\n".join(f"row {i}" for i in range(10)))
    told = wait_message(owner.client, lambda m: "Not relayed to IRC"
                        in (m.findtext("{jabber:client}body") or ""), 30,
                        "the refusal to the sender", b.logs)
    assert told.get("type") != "groupchat", util_text(told)
    assert not op.lines(lambda l: l.command == "PRIVMSG" and "row 3" in l.text)
    still_in_channel(b, op)
