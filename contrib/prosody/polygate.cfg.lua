-- Prosody (0.12) configuration for Polygate: one XEP-0114 component per
-- [transport NAME] group of polygate.conf.  Put this in
-- /etc/prosody/conf.d/polygate.cfg.lua (or append it to prosody.cfg.lua) and
-- replace the secrets with the ones in polygate.conf:
--     openssl rand -hex 16
-- then: prosodyctl check config && prosodyctl reload

-- Where components connect: these two are GLOBAL options, so they must sit
-- in the global section of prosody.cfg.lua (before any VirtualHost), not in
-- this file (Debian includes conf.d/ at the end, inside the last host).  Keep
-- them on loopback when polygate runs on the same machine; polygate.conf
-- [xmpp] host/port must match.
--     component_interfaces = { "127.0.0.1" }
--     component_ports = { 5347 }
-- Also global, and worth it: send each stanza at once (TCP_NODELAY).
-- Prosody 0.12 leaves Nagle's algorithm on (net/server_epoll.lua: nagle =
-- true), so when the gateway answers with many stanzas back to back (a
-- XEP-0313 page of 50, a join's presences and history) all but the first
-- wait for the client's delayed ACK: a MAM page took ~48 ms (p50) instead of
-- ~6 ms, a join with history ~46 ms more (contrib/bench/README.md).
--     network_settings = { nagle = false }

-- Users of this host register with the transports below.  By default a
-- transport serves the parent domain of its JID (allowed_domains in
-- polygate.conf): irc.example.org serves example.org users.
-- VirtualHost "example.org"

-- Optional: XEP-0356 privileges, the first rung of the roster ladder
-- (src/session/pg-roster-ladder.c): the legacy buddy list is written straight
-- into the user's roster (named, grouped, subscribed both ways), with no
-- subscription requests.  Needs mod_privilege from Debian's prosody-modules
-- (apt-get install prosody-modules; it speaks urn:xmpp:privilege:2).  In the
-- global section (or the VirtualHost of your users):
--     modules_enabled = { ..., "privilege" }
--     privileged_entities = { ["xmpp-legacy.example.org"] = { roster = "both" } }
-- and `modules_enabled = { "privilege" }` in the transport's Component section
-- below.  Without it Polygate falls back to XEP-0144 roster item exchange (for
-- clients that advertise it) or subscription requests; the user's "roster"
-- ad-hoc command says which is used and can re-sync.

Component "irc.example.org"
    component_secret = "CHANGE-ME-irc-component-secret"
    name = "IRC gateway"

Component "sms.example.org"
    component_secret = "CHANGE-ME-sms-component-secret"
    name = "SMS gateway"

Component "xmpp-legacy.example.org"
    component_secret = "CHANGE-ME-purple-component-secret"
    name = "XMPP gateway"

-- Certificates: clients see the components in service discovery of
-- example.org; a certificate with subjectAltName *.example.org (or one per
-- component domain) avoids warnings for s2s users of the gateway.
