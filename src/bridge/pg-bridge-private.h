/* What the files of a bridge's runtime share (private to src/bridge/).
 *
 * How they stack (each calls only the ones below it):
 *   pg-bridges.c       the manager: config, the workers, the transports' tap
 *   pg-bridge-commands.c  the admins' XEP-0050 commands (list, create, pause,
 *                      resume, remove; create and remove call the manager
 *                      back through PgBridgeCommandsContext)
 *   pg-bridge-irc.c    the legacy side's events: consent, occupants, lines
 *   pg-bridge-bans.c   IRC bans as room outcasts, unbans as members
 *   pg-bridge-ping.c   XEP-0410 self-ping of the relay and the puppets
 *   pg-bridge-room.c   the native room: the relay occupant and the puppets
 *   pg-bridge-relay.c  what XMPP occupants say, as IRC lines
 *   pg-bridge-clients-pm.c  private messages between IRC people and the
 *                      XMPP people of the occupant connections
 *   pg-bridge-clients.c   irc_clients = per-occupant: an IRC connection
 *                      of each XMPP occupant who speaks (it reads the
 *                      puppets' table, never calls the room)
 *   pg-bridge-limits.c the room's seat limits: who is held out, and when
 *                      they try again (max_puppets, max_users...); it sends
 *                      a held puppet in through PgBridge.enter, which the
 *                      room hands down
 *   pg-bridge-pace.c   each sender's outbox: every line into the room, and
 *                      those it bounced for its rate again, in order
 *   pg-bridge-link.c   the bridge's own IRC client: login, backoff, commands
 *   pg-bridge-replayer.c  imported logs into the room, by the relay
 */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "bridge/pg-bridge-render.h"
#include "bridge/pg-bridge-replayer.h"
#include "bridge/pg-bridge-store.h"
#include "core/pg-config.h"
#include "ipc/pg-ipc-message.h"
#include "session/pg-supervisor.h"
#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

/* The resource of every JID a bridge joins its room from. */
#define PG_BRIDGE_RESOURCE "bridge"
/* Seconds a puppet whose IRC nick quit in a netsplit ("a.net b.split"), or
 * who was missing when the bridge came back after its own disconnect, stays
 * in the room waiting for the nick to return. */
#define PG_BRIDGE_SPLIT_GRACE_S 60
/* Seconds a plain QUIT waits before it is a leave: when an ircd shuts
 * down it quits its users ("Server going down") just before it drops the
 * bridge, whose own reconnect then holds them all. */
#define PG_BRIDGE_QUIT_GRACE_S 5
/* Lines from IRC kept for a puppet that has not joined the room yet. */
#define PG_BRIDGE_PUPPET_QUEUE_MAX 100
/* Ids of our own messages and of room stanza-ids remembered for dedupe. */
#define PG_BRIDGE_IDS_MAX 4096
/* Puppets given member affiliation per muc#admin IQ (XEP-0045 §9.3). */
#define PG_BRIDGE_AFFILIATION_BATCH 50

typedef struct _PgBridge PgBridge;
typedef struct _PgBridgePuppet PgBridgePuppet;
typedef struct _PgBridgePace PgBridgePace;
typedef struct _PgBridgeClients PgBridgeClients;
typedef struct _PgBridgeClient PgBridgeClient;

typedef enum {
	PG_BRIDGE_LINK_OFFLINE,
	PG_BRIDGE_LINK_CONNECTING,
	PG_BRIDGE_LINK_CONNECTED,
	PG_BRIDGE_LINK_WAITING, /* backoff before the next try */
} PgBridgeLinkState;

typedef enum {
	PG_BRIDGE_OCCUPANT_OUT,     /* not in the room */
	PG_BRIDGE_OCCUPANT_JOINING, /* presence sent, no self-presence yet */
	PG_BRIDGE_OCCUPANT_IN,      /* self-presence (status 110) seen */
} PgBridgeOccupantState;

/* One IRC nick of the channel as an occupant of the native room. */
struct _PgBridgePuppet {
	PgBridge *bridge;
	gchar *irc_nick;       /* as IRC spells it now */
	gchar *jid;            /* the full JID it joins from (stable while it lives) */
	gchar *room_nick;      /* its nick in the room (the IRC nick, or with the suffix) */
	gchar *wanted_nick;    /* a nick change sent, not confirmed yet, or NULL */
	PgBridgeOccupantState state;
	guint conflicts;       /* 409s so far: the suffix is added this many times */
	gboolean affiliated;   /* its member affiliation was asked for */
	gboolean removed;      /* a room moderator kicked it: it stays out while
				* the nick stays on IRC */
	gboolean refused;      /* held out of the room by a limit: the room's
				* or max_puppets (pg-bridge-limits.c); its
				* lines come through the relay */
	PgBridgePace *pace;    /* its outbox (pg-bridge-pace.c), owned */
	gboolean banned_on_irc; /* an IRC ban made it an outcast (pg-bridge-bans.c):
				 * its removal is no news for IRC */
	GQueue *lines;         /* gchar *: IRC lines waiting for the join */
	guint hold_id;         /* a quit or absence waiting to become a leave */
	gint64 hold_until;     /* when it does (monotonic µs) */
	gchar *hold_reason;
};

/* The bridge's own IRC client (pg-bridge-link.c). */
typedef struct {
	PgBridgeLinkState state;
	guint backoff_s;
	guint retry_id;
	gboolean in_channel; /* the worker said room-joined */
	gboolean is_op;      /* the bridge is a chanop (may KICK) */
	gchar *nick;         /* the nick IRC knows it by */
} PgBridgeLink;

struct _PgBridge {
	const PgBridgeConfig *config;       /* borrowed: the config outlives it */
	const PgTransportConfig *transport_config;
	PgTransport *transport;             /* borrowed; NULL until added */
	PgSupervisor *supervisor;           /* borrowed: the manager's */
	gchar *account;                     /* the worker's key: "bridge:NAME" */
	gchar *server;                      /* the legacy server */
	gchar *jid;                         /* the relay occupant's full JID */
	PgBridgeStore *store;               /* borrowed: the manager's (pg-bridge-store.h) */
	PgBridgeRenderPolicy policy;        /* how room lines read on IRC (pg-bridge-render.h) */
	gboolean readonly;                  /* phase = readonly: nothing to the room */
	gboolean paused;                    /* an admin paused it: nothing either way */
	PgBridgeLink link;
	/* consent (pg-bridge-irc.c) */
	gboolean approved;
	gchar *approved_by;
	GHashTable *asking;                 /* request id -> nick that asked (approve/revoke) */
	/* the room (pg-bridge-room.c) */
	PgBridgeOccupantState relay_state;
	gchar *relay_nick;                  /* the relay occupant's nick in the room */
	guint relay_conflicts;
	GHashTable *puppets;                /* casefolded IRC nick -> PgBridgePuppet (owned) */
	GHashTable *by_jid;                 /* puppet full JID -> PgBridgePuppet (borrowed) */
	GHashTable *by_room_nick;           /* room nick -> PgBridgePuppet (borrowed) */
	GHashTable *xmpp_occupants;         /* room nick -> real JID or "" (not ours) */
	GHashTable *own_ids;                /* ids of the messages our puppets sent */
	GQueue *own_id_order;
	GHashTable *seen_ids;               /* the room's stanza-ids already relayed */
	GQueue *seen_id_order;
	GQueue *affiliating;                /* PgBridgePuppet waiting for the batch */
	guint affiliate_id;
	guint64 serial;
	gchar *last_error;                  /* also in the store, for bridge status */
	PgBridgeReplayer *replayer;         /* imported logs into the room (owned) */
	/* room limits (pg-bridge-limits.c) */
	gchar *limit;                       /* the condition that refused a puppet, or NULL */
	guint limit_notice_id;
	gboolean limit_told;                /* the channel heard of it */
	GQueue *held;                       /* PgBridgePuppet held out, oldest first (borrowed) */
	guint limit_retry_id;               /* the next try of the oldest held puppet */
	guint relay_retry_id;               /* the relay's next try of a full room */
	guint relay_backoff_s;
	void (*enter_relay)(PgBridge *bridge);
	guint limit_backoff_s;
	PgBridgePuppet *limit_probe;        /* the held puppet trying its seat (borrowed) */
	/* pg_bridge_room_puppet_enter(), which the room hands down to the
	 * limits (they sit below it) to send a held puppet in */
	void (*enter)(PgBridgePuppet *puppet);
	guint held_store_id;                /* the held-out count is written soon */
	PgBridgePace *relay_pace;           /* the relay's outbox (owned) */
	gboolean rate_limited;              /* the room bounced a line for its rate: every
					     * sender goes one line at a time (pg-bridge-pace.c) */
	GHashTable *irc_bans;               /* IRC ban mask (casefolded) -> GPtrArray of the
					     * bare JIDs it made outcasts (pg-bridge-bans.c) */
	guint ping_id;                      /* XEP-0410 self-pings (pg-bridges.c) */
	/* per-occupant IRC connections (pg-bridge-clients.c) */
	PgBridgeClients *clients;           /* owned; NULL with irc_clients = relay */
	guint *network_clients;             /* borrowed (pg-bridges.c): occupant connections
					     * open to this server, every bridge's */
};

/* pg-bridge-link.c */
/* Record @text (transfer full) as the last error @direction, in the log
 * and in the store. */
void pg_bridge_fail(PgBridge *bridge, PgBridgeDirection direction, gchar *text);
void pg_bridge_link_connect(PgBridge *bridge);
/* The worker says the account is up (TRUE) or gone (FALSE): retry. */
void pg_bridge_link_on_state(PgBridge *bridge, gboolean connected, const gchar *reason);
void pg_bridge_link_stop(PgBridge *bridge);
gboolean pg_bridge_link_send(PgBridge *bridge, PgIpcMessage *msg);
void pg_bridge_link_join(PgBridge *bridge);
void pg_bridge_link_part(PgBridge *bridge);
/* A line into the channel, as the relay. */
void pg_bridge_link_say(PgBridge *bridge, const gchar *text);
/* A private message to @nick (answers to commands only). */
void pg_bridge_link_tell(PgBridge *bridge, const gchar *nick, const gchar *text);
/* NAMES of the channel; the answer is room-admin-done with the request id. */
guint32 pg_bridge_link_names(PgBridge *bridge);
/* KICK @nick, banning its host first with @ban (XEP-0045 §9.1: a ban
 * removes the occupant). */
void pg_bridge_link_kick(PgBridge *bridge, const gchar *nick, gboolean ban, const gchar *reason);
/* A NOTICE to @nick (a joiner, in the "moved" phase). */
void pg_bridge_link_notice(PgBridge *bridge, const gchar *nick, const gchar *text);
/* The channel's topic (needs ops where the channel is +t). */
void pg_bridge_link_topic(PgBridge *bridge, const gchar *text);

/* The login of an IRC client of @bridge's server as @account (the bridge's
 * own, or an occupant's, pg-bridge-clients.c): one path for both, so every
 * option the network needs reaches both.  With @sasl, the bridge's SASL
 * password.  With @deaf, the worker does not forward the channel's lines
 * (an occupant's connection: the bridge's own client reads them).
 * Returns: (transfer full) */
PgIpcMessage *pg_bridge_link_login_new(PgBridge *bridge, const gchar *account, const gchar *nick,
				       const gchar *realname, const gchar *ident, gboolean sasl,
				       gboolean deaf);

/* pg-bridge-clients.c: one IRC connection per XMPP occupant who speaks
 * (irc_clients = per-occupant). */
PgBridgeClients *pg_bridge_clients_new(PgBridge *bridge);
void pg_bridge_clients_free(PgBridgeClients *clients);
/* An event of one of @bridge's occupant connections. */
void pg_bridge_clients_event(PgBridge *bridge, const PgIpcMessage *msg);
/* The worker of occupant connection @account died. */
void pg_bridge_clients_lost(PgBridge *bridge, const gchar *account, const gchar *reason);
/* Whether IRC nick @nick is one of @bridge's occupant connections: never a
 * puppet, and its lines are never relayed into the room. */
gboolean pg_bridge_clients_claims(PgBridge *bridge, const gchar *nick);
/* The connection that says room occupant @nick's next lines (connecting it
 * if it is parked), or NULL if the relay must (relay mode, the cap, a
 * network that refused it lately, its queue full). */
PgBridgeClient *pg_bridge_clients_speaker(PgBridge *bridge, const gchar *nick);
/* How a speaker's own lines read: no "<nick> " (pg-bridge-render.h). */
const PgBridgeRenderPolicy *pg_bridge_clients_policy(PgBridge *bridge);
/* @lines (own lines) from @client: now, or once it is in the channel. */
void pg_bridge_clients_send(PgBridgeClient *client, GStrv lines);
/* A private message from IRC to one of the occupant connections. */
void pg_bridge_clients_pm_event(PgBridge *bridge, const PgIpcMessage *msg);
/* A message (not groupchat, not an error) from occupant @nick to @puppet:
 * a XEP-0045 §7.5 private message (pg-bridge-clients-pm.c). */
void pg_bridge_clients_private(PgBridge *bridge, PgBridgePuppet *puppet, xmpp_stanza_t *message,
			       const gchar *nick);
/* The non-admin command "bridge-private-messages" on @transport, where one
 * of @bridges (borrowed) has per-occupant connections. */
void pg_bridge_clients_commands_add(PgTransport *transport, GPtrArray *bridges);
void pg_bridge_clients_commands_remove(PgTransport *transport);
/* Every occupant connection quits with @reason (the consent is revoked). */
void pg_bridge_clients_quit_all(PgBridge *bridge, const gchar *reason);
/* Occupant @nick's unavailable @presence: a leave quits their connection
 * (a nick change, XEP-0045 §7.6, follows them). */
void pg_bridge_clients_left(PgBridge *bridge, const gchar *nick, xmpp_stanza_t *presence);

/* pg-bridge-relay.c: @message (groupchat, from occupant @nick, the room's
 * @stanza_id or NULL) as the relay's IRC lines. */
void pg_bridge_relay_message(PgBridge *bridge, xmpp_stanza_t *message, const gchar *nick,
			     const gchar *stanza_id);

/* pg-bridge-room.c */
void pg_bridge_room_send(PgBridge *bridge, xmpp_stanza_t *stanza);
/* Join the relay occupant (and then the puppets) if the stream is up. */
void pg_bridge_room_enter(PgBridge *bridge);
/* The component lost the stream: everyone is out of the room. */
void pg_bridge_room_lost(PgBridge *bridge);
/* IRC nick @nick is in the channel: a puppet, joined (or kept). */
PgBridgePuppet *pg_bridge_room_puppet_for(PgBridge *bridge, const gchar *nick);
PgBridgePuppet *pg_bridge_room_lookup(PgBridge *bridge, const gchar *nick);
void pg_bridge_room_puppet_leave(PgBridgePuppet *puppet, const gchar *reason);
/* An IRC op kicked the nick: an occupant kick by the relay. */
void pg_bridge_room_puppet_kick(PgBridgePuppet *puppet, const gchar *reason);
/* Keep @puppet in the room for @grace_s, then leave. */
void pg_bridge_room_puppet_hold(PgBridgePuppet *puppet, const gchar *reason, guint grace_s);
void pg_bridge_room_puppet_rename(PgBridgePuppet *puppet, const gchar *new_nick);
/* A line @nick said in the channel, from its puppet. */
void pg_bridge_room_say(PgBridge *bridge, const gchar *nick, const gchar *text);
/* A stanza from the room (the tap took it). */
void pg_bridge_room_stanza(PgBridge *bridge, xmpp_stanza_t *stanza);
/* Whether the stream to the XMPP server is up. */
gboolean pg_bridge_room_online(PgBridge *bridge);
/* Whether the occupant @nick is one of ours (a puppet, the relay). */
gboolean pg_bridge_room_is_ours(PgBridge *bridge, const gchar *nick);
/* Send @puppet into the room if it may go (the relay in, no limit met). */
void pg_bridge_room_puppet_enter(PgBridgePuppet *puppet);

/* pg-bridge-ping.c */
/* XEP-0410 self-ping of the relay and every puppet in the room, and the
 * occupants on each side counted into the store. */
void pg_bridge_ping_all(PgBridge *bridge);
/* Whether @stanza, from the room, is an IQ for pg-bridge-ping.c: the
 * answer to a self-ping (a fallen-out occupant joins again), or an IQ get
 * or set to one of our occupants (a ping is answered, anything else is
 * service-unavailable).  If so it is handled. */
gboolean pg_bridge_ping_stanza(PgBridge *bridge, xmpp_stanza_t *stanza);

/* pg-bridge-limits.c */
/* Whether the error @presence, the room's answer to @puppet's join, is a
 * room limit; if so the puppet is held out and tries again later. */
gboolean pg_bridge_limits_refused(PgBridgePuppet *puppet, xmpp_stanza_t *presence);
/* Whether @puppet may be sent into the room now; if not it is held out. */
gboolean pg_bridge_limits_allow(PgBridgePuppet *puppet);
/* @puppet is in the room: a limit that held it out is lifted. */
void pg_bridge_limits_admitted(PgBridgePuppet *puppet);
/* An occupant left the room: a held puppet may take the seat. */
void pg_bridge_limits_seat_freed(PgBridge *bridge);
/* @puppet is going away: it holds no place in the queue any more. */
void pg_bridge_limits_forget(PgBridgePuppet *puppet);
/* How many IRC people are held out of the room. */
guint pg_bridge_limits_held(const PgBridge *bridge);
/* Whether error @presence refuses a join for a room limit. */
gboolean pg_bridge_limits_is_limit(xmpp_stanza_t *presence);
/* The relay was refused for a limit: @enter (pg_bridge_room_enter) after
 * limit_retry seconds, doubling per refusal. */
void pg_bridge_limits_retry_relay(PgBridge *bridge, void (*enter)(PgBridge *bridge));
/* The room was lost: its limits are to be learnt again. */
void pg_bridge_limits_reset(PgBridge *bridge);
void pg_bridge_limits_free(PgBridge *bridge);

/* pg-bridge-bans.c: someone set or lifted a ban in the channel (room-ban). */
void pg_bridge_bans_on_event(PgBridge *bridge, const PgIpcMessage *msg);
void pg_bridge_bans_free(PgBridge *bridge);

/* pg-bridge-pace.c (below the room and the limits: it calls neither) */
/* The RFC 6120 §8.3.3 condition of an error @stanza ("undefined-condition"
 * when it names none). */
const gchar *pg_bridge_error_condition(xmpp_stanza_t *stanza);
/* Remembers @id in @set, the oldest of @order going past PG_BRIDGE_IDS_MAX. */
void pg_bridge_remember_id(GHashTable *set, GQueue *order, const gchar *id);
/* Returns: (transfer full) the outbox of @puppet, or of the relay (NULL). */
PgBridgePace *pg_bridge_pace_new(PgBridge *bridge, PgBridgePuppet *puppet);
void pg_bridge_pace_free(PgBridgePace *pace);
/* @text into the room from the pace's sender, in order after what waits. */
void pg_bridge_pace_say(PgBridgePace *pace, const gchar *text);
/* @text of IRC nick @nick, said by the relay as `<nick> text`. */
void pg_bridge_pace_relay(PgBridge *bridge, const gchar *nick, const gchar *text);
/* The lines @pace has not sent yet go through the relay (its sender
 * leaves). */
void pg_bridge_pace_hand_over(PgBridgePace *pace);
/* The room reflected our message @id from occupant @nick: it got through. */
void pg_bridge_pace_reflected(PgBridge *bridge, const gchar *nick, const gchar *id);
/* Whether error @message (to @puppet, or to the relay if NULL) bounced one
 * of our lines for a rate limit; if so it goes again later. */
gboolean pg_bridge_pace_bounced(PgBridge *bridge, PgBridgePuppet *puppet, xmpp_stanza_t *message);
void pg_bridge_room_free_puppets(PgBridge *bridge);
/* Every puppet and the relay leave the room now (the consent is revoked). */
void pg_bridge_room_leave_all(PgBridge *bridge, const gchar *reason);
/* The puppets table's value destructor. */
void pg_bridge_room_puppet_free(gpointer data);

/* What the admins' commands need of the manager (pg-bridges.c, which owns
 * it): its bridges, and the two changes an admin may make, as callbacks up
 * the stack. */
typedef struct {
	GPtrArray *bridges;     /* PgBridge (the manager's) */
	GPtrArray *made;        /* PgBridgeConfig of the bridges made by command */
	GPtrArray *not_started; /* gchar *: why a bridge made by command did not start */
	/* Make a bridge through @transport of @values, a bridge-create form's
	 * fields (core/pg-config-bridge-form.h), for admin @by; it is kept in
	 * the store and starts.  Returns: (transfer none) or NULL with @error. */
	PgBridge *(*make)(gpointer manager, PgTransport *transport, GHashTable *values,
			  const gchar *by, GError **error);
	/* Remove the bridge @name made by command: its people leave the room,
	 * its client the channel; its store state goes unless @keep_state. */
	gboolean (*remove)(gpointer manager, const gchar *name, gboolean keep_state,
			   GError **error);
	gpointer manager;
} PgBridgeCommandsContext;

/* pg-bridge-commands.c: the admins' XEP-0050 commands on @transport for
 * @context (borrowed: remove them before it goes). */
void pg_bridge_commands_add(PgTransport *transport, PgBridgeCommandsContext *context);
void pg_bridge_commands_remove(PgTransport *transport);

/* pg-bridge-irc.c */
void pg_bridge_irc_event(PgBridge *bridge, const PgIpcMessage *msg);
void pg_bridge_irc_load_consent(PgBridge *bridge);

G_END_DECLS
