-- mod_polygate_quiet_puppets: a room sends a Polygate bridge's puppets only
-- what they need.
--
-- A community bridge (README, "Move a community") joins one occupant per
-- IRC nick, from JIDs of the gateway's component with the resource
-- "bridge" (nick%server@irc.example.org/bridge), and reads the room through
-- one relay occupant (bridge.NAME@irc.example.org/bridge).  XEP-0045 has
-- the room send every groupchat message and every occupant's presence to
-- every occupant, so with 500 puppets each line is 500 more stanzas for
-- the server to write and for the gateway to parse and drop
-- (contrib/bench/README.md, "With 500 puppets in the room": Prosody spent
-- 22 ms of CPU per line, the bound on the rate).
--
-- Loaded on the MUC component, with the gateway's component domains in
-- polygate_puppet_hosts, it keeps from a puppet:
--   - groupchat messages (the relay occupant gets them all; a subject
--     still goes, it ends the join, XEP-0045 §7.2.15);
--   - other occupants' presence, and the list of those already there
--     when it joins (the relay occupant sees them).
-- A puppet still gets its own presence (status 110: its join, nick change,
-- kick or ban), private messages (XEP-0045 §7.5), errors and IQs.  Nothing
-- changes for any other occupant, nor for the room's archive.
--
--   Component "conference.example.org" "muc"
--     modules_enabled = { "muc_mam", "polygate_quiet_puppets" }
--     polygate_puppet_hosts = { "irc.example.org" }
--
-- Prosody 0.12: it wraps two methods of mod_muc's room_mt,
-- route_to_occupant (every broadcast goes through it) and
-- send_occupant_list, and puts them back when unloaded.
local jid = require "util.jid";

local muc = module:depends("muc");
local room_mt = muc.room_mt;
local puppet_hosts = module:get_option_set("polygate_puppet_hosts", {});
local MUC_USER = "http://jabber.org/protocol/muc#user";

-- @real_jid is a bridge's puppet (not its relay).  Asked for each
-- occupant of each line, so the answers are kept (at most MEMO_MAX JIDs,
-- then forgotten all at once).
local MEMO_MAX = 100000;
local memo, memo_size = {}, 0;

local function is_puppet_jid(real_jid)
	local known = memo[real_jid];
	if known ~= nil then
		return known;
	end
	local node, host, resource = jid.split(real_jid);
	known = resource == "bridge" and puppet_hosts:contains(host)
		and node ~= nil and not node:match("^bridge%.");
	if memo_size >= MEMO_MAX then
		memo, memo_size = {}, 0;
	end
	memo[real_jid], memo_size = known, memo_size + 1;
	return known;
end

-- Every session of @occupant is a bridge's puppet.
local function is_puppet(occupant)
	local any = false;
	for real_jid in occupant:each_session() do
		if not is_puppet_jid(real_jid) then
			return false;
		end
		any = true;
	end
	return any;
end

local function is_own_presence(stanza)
	local x = stanza:get_child("x", MUC_USER);
	if x == nil then
		return false;
	end
	for status in x:childtags("status") do
		if status.attr.code == "110" then
			return true;
		end
	end
	return false;
end

local function kept_from_puppet(stanza)
	if stanza.name == "message" then
		return stanza.attr.type == "groupchat" and stanza:get_child("subject") == nil;
	end
	if stanza.name == "presence" then
		return not is_own_presence(stanza);
	end
	return false;
end

local route_to_occupant = room_mt.route_to_occupant;

function room_mt:route_to_occupant(occupant, stanza)
	if kept_from_puppet(stanza) and is_puppet(occupant) then
		return;
	end
	return route_to_occupant(self, occupant, stanza);
end

-- The occupants already there, sent to one who joins (XEP-0045 §7.2.3).
local send_occupant_list = room_mt.send_occupant_list;

function room_mt:send_occupant_list(to, filter)
	if is_puppet_jid(to) then
		return;
	end
	return send_occupant_list(self, to, filter);
end

function module.unload()
	room_mt.route_to_occupant = route_to_occupant;
	room_mt.send_occupant_list = send_occupant_list;
end

module:log("info", "puppets of %s hear only what they need", tostring(puppet_hosts));
