/* What the files of src/session/ share: the session records and the few
 * functions pg-sms.c needs from pg-session.c.  Private to src/session/. */
#pragma once

#include "ipc/pg-ipc-message.h"
#include "network/pg-network.h"
#include "session/pg-limits.h"
#include "session/pg-session.h"
#include "session/pg-supervisor.h"
#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

typedef struct _PgSession PgSession;
typedef struct _PgLink PgLink;

typedef enum {
	PG_LINK_OFFLINE,
	PG_LINK_CONNECTING,
	PG_LINK_CONNECTED,
	PG_LINK_WAITING, /* backoff before the next try */
	PG_LINK_FAILED,  /* fatal error: not retried until the user asks */
} PgLinkState;

typedef struct {
	gchar *name;           /* as the legacy network spells it, e.g. #chan */
	gchar *jid;            /* the room's bare JID */
	gchar *nick;           /* our nick in it */
	GHashTable *resources; /* full JIDs of the user's joined resources */
	GHashTable *occupants; /* nick -> flags */
	gchar *subject;
	gboolean joined;       /* the legacy network confirmed */
	GQueue *echo_ids;      /* ids of our messages waiting for their echo */
} PgRoom;

struct _PgLink {
	PgSession *session;
	gchar *server;      /* IRC server, or "" */
	gchar *account;     /* account key */
	PgLinkState state;
	guint backoff_s;
	guint retry_id;
	GHashTable *rooms;  /* lower-case name -> PgRoom */
	GQueue *pending;    /* PgIpcMessage (owned) to send once connected */
	gchar *last_error;
	guint network_flags; /* the driver's bits (PgNetwork.classify_disconnect) */
	GHashTable *online; /* contact JIDs last shown available to the user */
	/* pg-link-queue.c */
	GQueue *origins;        /* PgLinkOrigin: the stanzas behind commands in pending */
	guint failed_tries;     /* logins that failed since the last give-up or success */
	gboolean ever_connected; /* the link was up once: it retries, never gives up */
	GQueue *in_flight;      /* PgLinkSent: messages handed to the worker lately */
	guint login_timeout_id; /* the login has link_login_timeout to answer */
	GQueue *prompts;        /* questions to the user (pg-prompts.c), NULL if none */
};

struct _PgSession {
	PgSessionManager *manager;
	PgTransport *transport;
	gchar *user_jid;
	GHashTable *resources; /* full JID -> show ("" = available) */
	GHashTable *links;     /* server -> PgLink */
	guint grace_id;
	GQueue *recent;        /* PgSessionRequest: for error replies by request id */
	GHashTable *contacts;  /* legacy contacts already offered to the roster */
};

typedef struct {
	guint32 id;
	xmpp_stanza_t *stanza;
} PgSessionRequest;

typedef struct _PgSms PgSms;

struct _PgSessionManager {
	const PgConfig *config;
	PgSupervisor *supervisor;
	GHashTable *sessions; /* "user\ntransport" -> PgSession (owned) */
	GHashTable *links;    /* account key -> PgLink (borrowed) */
	GPtrArray *transports;
	PgSms *sms;           /* the SMS outbox and Kannel callbacks (pg-sms.c) */
	struct _PgSessionAudit *audit; /* sessions vs. probe answers (pg-session-audit.c) */
	PgLimits *limits;     /* per-user and gateway-wide limits (pg-limits.c) */
	struct _PgIrcGate *irc_gate; /* IRC servers resolved and checked (pg-irc-gate.c) */
};

/* The network driver of @transport.  Returns: (transfer none) */
const PgNetwork *pg_session_network(PgTransport *transport);
xmpp_ctx_t *pg_session_ctx(PgSession *session);
/* Send @stanza from the session's transport and drop our reference. */
void pg_session_send(PgSession *session, xmpp_stanza_t *stanza);
PgSession *pg_session_lookup(PgSessionManager *self, const gchar *user_jid, PgTransport *transport);
PgSession *pg_session_ensure(PgSessionManager *self, const gchar *user_jid, PgTransport *transport);
PgLink *pg_session_get_link(PgSession *session, const gchar *server);
/* A session with no available resource ends after the grace period (unless
 * a resource comes back, or the SMS outbox still has its texts). */
void pg_session_release(PgSession *session);
gboolean pg_session_user_registered(PgSessionManager *self, PgTransport *transport,
				    const gchar *user_jid);
/* The JID of legacy contact @who.  Returns: (transfer full) */
gchar *pg_session_contact_jid(PgLink *link, const gchar *who);
/* Send @msg (transfer full) to the link's worker now, or keep it until the
 * link is up; @origin (nullable) is the stanza to answer with an error.
 * FALSE if it was refused (@origin answered) or could not be sent. */
gboolean pg_link_command(PgLink *link, PgIpcMessage *msg, xmpp_stanza_t *origin);
void pg_link_connect(PgLink *link);
/* (Re)start the link's login timeout (link_login_timeout). */
void pg_link_arm_login_timeout(PgLink *link);
/* @resource (a full JID) of the user went unavailable; @status_text
 * (nullable) is its <status/>. */
void pg_session_drop_resource(PgSession *session, const gchar *resource,
			      const gchar *status_text);
/* End @session now if no resource and no text to send holds it, else let
 * the grace period decide. */
void pg_session_end_if_idle(PgSession *session);

G_END_DECLS
