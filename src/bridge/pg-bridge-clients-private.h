/* What pg-bridge-clients.c and pg-bridge-clients-pm.c share (private to
 * them): the per-occupant IRC connections of a bridge. */
#pragma once

#include "bridge/pg-bridge-private.h"

G_BEGIN_DECLS

typedef enum {
	PG_BRIDGE_CLIENT_PARKED,     /* no connection (never had one, idle, failed) */
	PG_BRIDGE_CLIENT_CONNECTING, /* login sent */
	PG_BRIDGE_CLIENT_JOINING,    /* signed on, JOIN sent */
	PG_BRIDGE_CLIENT_IN,         /* in the channel: the person's lines go out from it */
	PG_BRIDGE_CLIENT_QUITTING,   /* QUIT sent, waiting for the server to close */
} PgBridgeClientState;

struct _PgBridgeClient {
	PgBridge *bridge;
	gchar *id;           /* stable: from the person's bare JID (or room nick) */
	gchar *account;      /* the worker's key: "bridge:NAME:<id>" */
	gchar *room_nick;    /* the person's nick in the room now */
	gchar *wanted_nick;  /* the IRC nick it logged in with, or NULL */
	gchar *irc_nick;     /* the IRC nick its own connection reported, or NULL */
	PgBridgeClientState state;
	gboolean counted;    /* counted in PgBridge.network_clients */
	gboolean gone;       /* the person left the room: forgotten once parked */
	gboolean wake;       /* they spoke while it was parking: connect again */
	GQueue *queue;       /* gchar *: own lines waiting for the channel */
	guint idle_id;       /* occupant_idle without a line: park */
	guint deadline_id;   /* the join, or the QUIT, took too long */
	guint backoff_s;
	gint64 retry_after;  /* monotonic µs: the relay speaks for them until then */
	GHashTable *told;    /* IRC nicks told it takes no private messages */
};

struct _PgBridgeClients {
	PgBridgeRenderPolicy policy; /* the bridge's, with own_lines */
	GHashTable *by_id;           /* id -> PgBridgeClient (owned) */
	GHashTable *by_account;      /* account -> PgBridgeClient (borrowed) */
};

/* The puppet of IRC nick @nick, or NULL. */
PgBridgePuppet *pg_bridge_clients_puppet(PgBridge *bridge, const gchar *nick);
/* The connection of room occupant @nick, or NULL. */
PgBridgeClient *pg_bridge_clients_find(PgBridge *bridge, const gchar *nick);
/* Send @msg (transfer full) on @client's account. */
gboolean pg_bridge_clients_send_command(PgBridgeClient *client, PgIpcMessage *msg);
/* @client was used: its idle time starts again. */
void pg_bridge_clients_touch(PgBridgeClient *client);

/* The connection logged in as @account, or NULL. */
PgBridgeClient *pg_bridge_clients_by_account(PgBridge *bridge, const gchar *account);

G_END_DECLS
