-- Test-only Prosody module for Polygate's integration tests
-- (tests/integration/test_bridge_selfping.py).
--
-- Loaded on the MUC component, it makes the room forget an occupant without
-- telling anyone, as a room does that lost its state or a ghost it never
-- cleaned: a groupchat message "pg-drop NICK" to the room drops NICK from
-- the room's tables and is not relayed.  The occupant's next XEP-0410
-- self-ping is then answered not-acceptable.
local jid = require "util.jid";
local muc = module:depends("muc");

module:hook("message/bare", function(event)
	local stanza = event.stanza;
	local body = stanza:get_child_text("body");
	if not body or not body:match("^pg%-drop ") then return; end
	local room = muc.get_room_from_jid(jid.bare(stanza.attr.to));
	if not room then return; end
	local occupant_jid = room.jid .. "/" .. body:sub(#"pg-drop " + 1);
	local occupant = room._occupants[occupant_jid];
	if occupant then
		for real_jid in occupant:each_session() do
			room._jid_nick[real_jid] = nil;
		end
		room._occupants[occupant_jid] = nil;
	end
	module:log("info", "dropped %s without a word (%s)", occupant_jid,
		occupant and "was there" or "was not there");
	return true;
end, 10);
