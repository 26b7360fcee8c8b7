/* Bridges: one [bridge NAME] group each (issue 11).
 *
 * A bridge pairs one channel of a legacy network, reached through a
 * transport of this config, with one room on the XMPP server's own MUC
 * service.  The shape is network-neutral (transport + channel + room);
 * IRC is the only network that can be bridged today.
 *
 *   [bridge NAME]
 *   transport = irc              NAME of an IRC [transport NAME]
 *   server = irc.libera.chat     the legacy server (default: the
 *                                transport's irc_server)
 *   port = 6697                  (default: irc_port, else 6697 with TLS,
 *                                6667 without)
 *   tls = true                   (default: irc_tls, else TLS unless the
 *                                server is on loopback)
 *   channel = #project
 *   room = project@conference.example.org
 *   nick = projectbridge         the bridge's own IRC nick
 *   sasl_password_file = FILE    optional: SASL PLAIN password of the
 *                                bridge's services account, whose name is
 *                                the nick (a 0600 file; never the secret in
 *                                this file)
 *   puppet_suffix = [irc]        added to an IRC nick the room already has
 *                                (XEP-0045 §7.2.9: 409 conflict)
 *   phase = live                 live | moved | readonly
 *   moved_to = xmpp:project@conference.example.org?join
 *   web_link = https://chat.example.org/#/project
 *   multiline_threshold = 4      lines of one XMPP message relayed as
 *                                lines; a longer one follows
 *   multiline_policy = refuse    refuse | summarise
 *   kicks_to_room = true         an IRC op's KICK is an occupant kick
 *                                (false: the puppet just leaves)
 *   kicks_to_irc = true          a room moderator's kick (ban) of a puppet
 *                                is a KICK (+b and KICK) where the bridge
 *                                is a chanop (false: the puppet stays out)
 *   bans_to_room = true          an IRC ban (MODE +b) makes the puppets it
 *                                matches room outcasts (XEP-0045 §9.1), and
 *                                -b members again (false: nothing)
 *   replay_rate = 5              imported lines replayed into the room per
 *                                second (src/bridge/pg-bridge-replayer.c)
 *   self_ping_interval = 300     seconds between the XEP-0410 self-pings
 *                                of the relay and each puppet (5 to 3600):
 *                                how soon one the room forgot joins again
 *   import_time = both           both: a replayed line's time and speaker in
 *                                its text and its XEP-0203 delay (Prosody
 *                                drops the delay); delay: only the delay
 *   max_puppets = 1000           IRC people shown as occupants of their own
 *                                (0 to 100000); the others speak through
 *                                the relay as `<nick> text`
 *                                (src/bridge/pg-bridge-limits.c)
 *   limit_retry = 30             seconds before a puppet the room refused
 *                                for a limit tries again (1 to 3600; it
 *                                doubles per refusal, up to 10 minutes)
 *   irc_clients = relay          relay: the bridge's one client speaks for
 *                                every XMPP occupant as "<nick> text";
 *                                per-occupant: each XMPP occupant who speaks
 *                                gets an IRC connection of their own
 *                                (src/bridge/pg-bridge-clients.c)
 *   max_occupant_clients = 5     per-occupant: at most this many occupant
 *                                connections to the bridge's IRC server,
 *                                counting every bridge to that server (the
 *                                network's per-host connection limit); past
 *                                it people speak through the relay
 *   occupant_idle = 2h           per-occupant: a connection idle this long
 *                                (s, m, h or d; 10s to 7d) quits ("parks");
 *                                the person's next line brings it back
 *   occupant_suffix = [x]        added to an occupant's IRC nick when an
 *                                IRC nick of the channel has it
 *
 * Parsed here so that pg-config.c only hands the groups over.
 */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"

G_BEGIN_DECLS

#define PG_CONFIG_BRIDGE_PREFIX "bridge "

typedef struct {
	gchar *name;         /* NAME of [bridge NAME] */
	gchar *transport;    /* NAME of the [transport NAME] it goes through */
	gchar *server;       /* lower-case legacy server, or NULL: the transport's fixed one */
	guint16 port;        /* 0: the transport's */
	gboolean tls;
	gboolean tls_set;    /* tls was given */
	gchar *channel;
	gchar *room;         /* bare JID of the native room */
	gchar *nick;
	PgSecret *sasl_password; /* read from sasl_password_file, or NULL */
	gchar *puppet_suffix;
	gchar *phase;        /* live (both ways) | moved (and the legacy side is told
			      * where to go) | readonly (XMPP to legacy only); the
			      * runtime reads it (src/bridge/pg-bridge-store.h) */
	gchar *moved_to;     /* nullable */
	gchar *web_link;     /* nullable */
	guint multiline_threshold;
	gchar *multiline_policy; /* refuse | summarise (src/bridge/pg-bridge-render.h) */
	gboolean kicks_to_room;
	gboolean kicks_to_irc;
	gboolean bans_to_room;
	guint replay_rate;   /* imported lines per second into the room */
	gchar *import_time;  /* both | delay (src/bridge/pg-bridge-replayer.c) */
	guint self_ping_s;   /* XEP-0410 self-ping interval */
	guint max_puppets;   /* puppets in the room at most */
	guint limit_retry_s; /* first backoff after a room limit's refusal */
	gboolean per_occupant;      /* irc_clients = per-occupant */
	guint max_occupant_clients; /* per server, all bridges */
	guint occupant_idle_s;      /* idle seconds before a connection parks */
	gchar *occupant_suffix;
} PgBridgeConfig;

void pg_bridge_config_free(PgBridgeConfig *bridge);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgBridgeConfig, pg_bridge_config_free)

G_END_DECLS
