-- Test-only Prosody module for Polygate's integration tests
-- (tests/integration/test_hostile_jids.py).
--
-- It stands in for ejabberd's `global_routes: true`, under which a stanza
-- for one component domain can arrive on another component's connection.
-- Loaded as the module of a Component (`Component "misroute.localhost"
-- "pg_misroute"`), it takes every stanza addressed to that component,
-- rewrites the domain of its 'to' to pg_misroute_to_domain, and hands it to
-- the component connection of pg_misroute_via, as if the server had routed
-- it there.
local jid = require "util.jid";

local via = module:get_option_string("pg_misroute_via");
local to_domain = module:get_option_string("pg_misroute_to_domain");

local function misroute(event)
	local stanza = event.stanza;
	local node, _, resource = jid.split(stanza.attr.to);
	local kind = node and (resource and "full" or "bare") or (resource and "full" or "host");
	stanza.attr.to = jid.join(node, to_domain, resource);
	module:log("info", "handing %s to %s's component as %s", stanza.name, via, stanza.attr.to);
	prosody.hosts[via].events.fire_event(stanza.name .. "/" .. kind,
		{ origin = event.origin, stanza = stanza });
	return true;
end

for _, name in ipairs({ "iq", "message", "presence" }) do
	for _, kind in ipairs({ "bare", "full", "host" }) do
		module:hook(name .. "/" .. kind, misroute, 10);
	end
end
