/* What the files of src/session/ share: the records, the reports that go
 * upward (PgSessionEvents), and pg-session.c's functions on the records.
 * Private to src/session/; pg-session.c says how the files stack. */
#pragma once

#include "ipc/pg-ipc-message.h"
#include "network/pg-network.h"
#include "session/pg-supervisor.h"
#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

#define PG_LINK_BACKOFF_MIN_S 2 /* first retry after a drop (pg-link.c) */
#define PG_SESSION_GRACE_S    5 /* a session outlives its last resource so long */

typedef struct _PgSessionManager PgSessionManager;
typedef struct _PgLimits PgLimits;

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
	GHashTable *banning;   /* casefolded nicks the user banned, whose kick is
				* status 301 (pg-room-moderation.c), or NULL */
	GHashTable *outcasts;  /* casefolded outcast JID -> its ban mask, as the
				* last ban list said (pg-room-moderation.c), or NULL */
	/* pg-room-history.c */
	gint64 archive;        /* its archive (PgHistory), 0: none */
	gboolean persistent;   /* stays joined while the user is offline */
	gchar *charset;        /* its own encoding, for the join (PgNetwork.check_charset),
				* or NULL */
	GHashTable *history_wants; /* full JID -> what its join asked of the
				    * history (XEP-0045 §7.2.15), or NULL */
} PgRoom;

/* One buddy as the worker last described it (link->buddies, pg-roster.c). */
typedef struct {
	gchar *alias;   /* nullable */
	gchar *group;   /* nullable */
	gchar *status;  /* available | away | xa | dnd | offline */
	gchar *message; /* nullable status text */
} PgRosterBuddy;

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
	GHashTable *buddies; /* legacy id -> PgRosterBuddy (pg-roster.c) */
	GHashTable *avatars; /* contact JID -> icon (pg-contact-avatar.c), or NULL */
	gboolean buddies_full; /* the user was told of max_contacts_per_user */
	guint refused_events;  /* buddy events refused (pg-roster.c logs a few) */
	/* pg-link-queue.c */
	GQueue *origins;        /* PgLinkOrigin: the stanzas behind commands in pending */
	guint failed_tries;     /* logins that failed since the last give-up or success */
	gboolean ever_connected; /* the link was up once: it retries, never gives up */
	GQueue *in_flight;      /* PgLinkSent: messages handed to the worker lately */
	guint release_id;       /* pending waits for the in-flight window to open */
	guint login_timeout_id; /* the login has link_login_timeout to answer */
	/* the worker said it is connecting: the server's time runs (until then
	 * the worker may still be starting, which is not the server's fault) */
	gboolean login_started;
	GQueue *prompts;        /* questions to the user (pg-prompts.c), NULL if none */
	/* pg-roster-ladder.c: the buddy list settles before it is offered */
	guint roster_sync_id;
	gboolean roster_synced;
	gchar *guest_nick;      /* no registration: the nick of the join that made it
				 * connect (PgNetwork.guest_account), or NULL */
	struct _PgReceipts *receipts; /* XEP-0184 (pg-receipts.c), NULL until used;
				       * freed by PgSessionEvents.forget */
};

struct _PgSession {
	PgSessionManager *manager;
	PgTransport *transport;
	gchar *user_jid;
	GHashTable *resources; /* full JID -> PgResource */
	GHashTable *links;     /* server -> PgLink */
	guint grace_id;
	GQueue *recent;        /* PgSessionRequest: for error replies by request id */
	GHashTable *contacts;  /* legacy contacts already offered to the roster */
	/* pg-roster-ladder.c (each NULL until used) */
	GHashTable *roster_resources; /* full JID -> PG_ROSTER_RESOURCE_* bits */
	GQueue *roster_pushes;        /* xmpp_stanza_t: privileged roster sets to send */
	guint roster_in_flight;       /* of those, sent and not answered yet */
	gchar *roster_failure;        /* why privileged pushes stopped, or NULL */
};

typedef struct {
	guint32 id;
	xmpp_stanza_t *stanza;
} PgSessionRequest;

/* One available resource of the user: what its last presence said. */
typedef struct {
	gchar *show;   /* its <show/>, "" for plain available */
	gchar *status; /* its <status/>, or NULL */
} PgResource;

typedef struct _PgSms PgSms;

/* How the lower layers report upward, with no call to a file above them:
 * set once by pg-session-manager.c.  Each may be NULL. */
typedef struct {
	/* @link came up (pg-link.c); what waited for it is sent after this */
	void (*connected)(PgLink *link);
	/* @link's connection is gone, or @link is freed: what was asked of the
	 * user about it is dropped (pg-prompts.c) */
	void (*forget)(PgLink *link);
	/* @link went down, before anything else is decided about it */
	void (*down)(PgLink *link);
	/* @link is lost: @fatal, for good; else it retries with backoff */
	void (*lost)(PgLink *link, gboolean fatal);
	/* whether something other than a resource keeps @session (the outbox) */
	gboolean (*holds)(PgSession *session);
} PgSessionEvents;

struct _PgSessionManager {
	const PgConfig *config;
	const PgSessionEvents *events;
	PgSupervisor *supervisor;
	GHashTable *sessions; /* "user\ntransport" -> PgSession (owned) */
	GHashTable *links;    /* account key -> PgLink (borrowed) */
	GPtrArray *transports;
	PgSms *sms;           /* the SMS outbox and Kannel callbacks (pg-sms.c) */
	struct _PgSessionAudit *audit; /* sessions vs. probe answers (pg-session-audit.c) */
	PgLimits *limits;     /* per-user and gateway-wide limits (pg-limits.c) */
	struct _PgIrcGate *irc_gate; /* IRC servers resolved and checked (pg-irc-gate.c) */
	struct _PgHistory *history;  /* the rooms' archive (pg-room-history.c), or NULL */
	guint history_expire_id;     /* the hourly age limit (pg-room-history.c) */
	struct _PgRoomLists *room_lists; /* servers' room lists (pg-room-list.c) */
	GHashTable *server_settings;     /* open configure forms (pg-server-settings.c) */
};

/* pg-session.c */

/* The network driver of @transport.  Returns: (transfer none) */
const PgNetwork *pg_session_network(PgTransport *transport);
/* What @jid (a JID under @transport, as the boundary parsed it) names on
 * its network.  Returns: (transfer full) or NULL with the error to answer. */
PgNetworkAddress *pg_session_parse_address(PgTransport *transport, const PgJid *jid,
					   GError **error);
/* The JID of legacy contact @who on @link.  Returns: (transfer full) */
gchar *pg_session_contact_jid(PgLink *link, const gchar *who);

xmpp_ctx_t *pg_session_ctx(PgSession *session);
/* Send @stanza from the session's transport and drop our reference. */
void pg_session_send(PgSession *session, xmpp_stanza_t *stanza);
/* A chat message from the transport itself to the user. */
void pg_session_notice(PgSession *session, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
/* pg-session-requests.c: keep a copy of @stanza, the origin of request @id,
 * for its error reply. */
void pg_session_request_free(PgSessionRequest *request);
void pg_session_remember(PgSession *session, guint32 id, xmpp_stanza_t *stanza);
/* Returns: (transfer none) the origin of request @id, or NULL. */
xmpp_stanza_t *pg_session_recall(PgSession *session, guint32 id);

/* Returns: (transfer full) a room record. */
PgRoom *pg_room_new(const gchar *name, const gchar *jid, const gchar *nick);

/* Returns: (transfer full) an empty table of sessions, for the manager. */
GHashTable *pg_session_table_new(void);
PgSession *pg_session_lookup(PgSessionManager *self, const gchar *user_jid, PgTransport *transport);
PgSession *pg_session_ensure(PgSessionManager *self, const gchar *user_jid, PgTransport *transport);
/* Frees @session (its links log out). */
void pg_session_end(PgSession *session);
/* The link of @session to @server, made if need be (no limit checked:
 * pg_limits_get_link() checks them). */
PgLink *pg_session_get_link(PgSession *session, const gchar *server);
/* A session with no available resource ends after the grace period (unless
 * a resource comes back, or PgSessionEvents.holds keeps it). */
void pg_session_release(PgSession *session);
gboolean pg_session_user_registered(PgSessionManager *self, PgTransport *transport,
				    const gchar *user_jid);
/* Whether @user_jid may use @transport's legacy network: registered, or
 * the network takes guests (PgNetwork.guest_account). */
gboolean pg_session_user_allowed(PgSessionManager *self, PgTransport *transport,
				 const gchar *user_jid);
/* @resource (a full JID) of the user is available with @show ("" or
 * NULL: plain available) and @status (nullable). */
void pg_session_set_resource(PgSession *session, const gchar *resource, const gchar *show,
			     const gchar *status);
/* The user's status to every connected link: the most available
 * resource's <show/> and its <status/> text. */
void pg_session_update_status(PgSession *session);
/* @resource (a full JID) of the user went unavailable. */
void pg_session_drop_resource(PgSession *session, const gchar *resource);
/* End @session now if no resource and nothing else holds it, else let the
 * grace period decide. */
void pg_session_end_if_idle(PgSession *session);

G_END_DECLS
