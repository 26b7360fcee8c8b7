/* PgNetwork: what the daemon asks of a legacy network (a "network driver").
 *
 * DESIGN (in the spirit of bitlbee's struct prpl, protocols/nogaim.h): the
 * session layer, the registration and discovery handlers know no network.
 * They ask the transport's driver, found once by pg_network_for(), for:
 *   - addressing: a JID under the transport <-> a legacy id, room JIDs,
 *     XEP-0106 escaping of the local part;
 *   - the registration schema: the XEP-0077/XEP-0004 fields, the form built
 *     from them, and reading a submitted form into the account;
 *   - the login: the fields of the IPC login message (ipc/pg-ipc-message.h);
 *   - disconnect classification: final, retry, or retry with another login;
 *   - discovery: the XEP-0100 gateway type, the identity of room JIDs;
 *   - capabilities (PgNetworkFlags) that switch generic machinery on: links
 *     per server behind the server gate, XEP-0045 rooms, the durable SMS
 *     outbox (session/pg-sms.h).
 * Generic libpurple (pg-network-purple.c) is the default driver; IRC
 * (pg-network-irc.c) and SMS (pg-network-sms.c) specialise it, each in its
 * own file.  Adding a network is a driver file and a line in pg-network.c,
 * never a new case in session/, xmpp/ or core/.
 *
 * Layering: src/network/ sits below src/xmpp/ and src/session/.  It uses
 * core/, ipc/, registry/ and the low-level XMPP helpers (the JID parser's
 * PgJid and XEP-0106 escaping in stanza/pg-jid.h, stanza/pg-form.h), never a
 * stanza handler or a session.  Drivers are tables of pure functions: they
 * keep no state of their own (per-link state lives in PgNetworkLogin.flags).
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"
#include "ipc/pg-ipc-message.h"
#include "registry/pg-account.h"
#include "registry/pg-registry.h"
#include "stanza/pg-form.h"
#include "stanza/pg-jid.h"

G_BEGIN_DECLS

typedef struct _PgNetwork PgNetwork;

typedef enum {
	/* A JID names a server (nick%server@transport): one link per server,
	 * each server checked by the gate (session/pg-irc-gate.h) before a
	 * stanza may make the gateway connect to it. */
	PG_NETWORK_SERVERS = 1 << 0,
	/* JIDs name rooms (XEP-0045); room and contact JIDs answer disco#info. */
	PG_NETWORK_ROOMS = 1 << 1,
	/* Messages go through the durable outbox (session/pg-sms.h), not a
	 * link's pending queue; the session stays while texts wait. */
	PG_NETWORK_OUTBOX = 1 << 2,
	/* The account has a buddy list kept on the legacy server: buddies
	 * become contacts offered to the user's roster, and the user's roster
	 * changes add and remove buddies (session/pg-roster.h). */
	PG_NETWORK_BUDDY_LIST = 1 << 3,
	/* No buddy list on the server, but contacts can be watched: the
	 * contacts in the user's roster (their probes and subscribes) become
	 * buddies of the link's worker, whose presence follows
	 * (session/pg-roster-watch.h). */
	PG_NETWORK_WATCH = 1 << 4,
} PgNetworkFlags;

/* A JID under a transport, as its network reads it. */
typedef struct {
	gchar *name;     /* the legacy id: nick, #room, number, account (unescaped) */
	gchar *server;   /* lower-case server, "" on a network without servers */
	gchar *resource; /* the JID's resource (an occupant nick), or NULL */
	gboolean is_room;
	/* PG_NETWORK_SERVERS: the JID names the server itself (server@transport,
	 * biboumi's scheme): @name and @server are the server.  Only IQs go
	 * there (its room list, its settings); no message or presence. */
	gboolean is_server;
} PgNetworkAddress;

void pg_network_address_free(PgNetworkAddress *address);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgNetworkAddress, pg_network_address_free)

/* One field of the registration schema (XEP-0077 §3, XEP-0004). */
typedef struct {
	const gchar *var;  /* form field var, and the legacy element name if @legacy */
	gboolean legacy;   /* also offered as a XEP-0077 legacy element */
	const gchar *type; /* XEP-0004 field type */
	const gchar *label;
	gboolean required;
	gboolean secret;    /* sealed in the registry, never sent back */
	gboolean legacy_id; /* becomes PgAccount.legacy_id */
	/* Check a value (already valid UTF-8, free of controls unless @secret)
	 * and give the one to store, or NULL with PG_ERROR_NOT_ACCEPTABLE (or
	 * PG_ERROR_JID_MALFORMED).  NULL: any such value.  Returns: (transfer full)
	 */
	gchar *(*check)(const gchar *value, GError **error);
} PgNetworkField;

/* Where a login goes, after the server gate checked it (PG_NETWORK_SERVERS). */
typedef struct {
	gboolean allowed;
	GError *error;     /* why not, if !allowed */
	gchar **addresses; /* a name's checked addresses (text), for the worker to
			    * pin; NULL for an address literal */
	gboolean tls;
	guint16 port;
} PgNetworkTarget;

/* What a driver builds a login from.  All borrowed. */
typedef struct {
	const PgConfig *config;
	const PgTransportConfig *transport;
	const PgAccount *account;      /* the user's registration */
	const gchar *account_key;      /* the worker's name for the account */
	const gchar *server;           /* the link's server, "" if none */
	const PgNetworkTarget *target; /* PG_NETWORK_SERVERS: the checked server */
	guint flags;                   /* the link's driver bits (classify_disconnect) */
} PgNetworkLogin;

typedef enum {
	PG_NETWORK_RETRY,         /* reconnect with backoff */
	PG_NETWORK_FINAL,         /* not retried until the user asks */
	PG_NETWORK_RETRY_CHANGED, /* the driver changed the link's bits: retry soon */
} PgNetworkVerdict;

struct _PgNetwork {
	const gchar *name; /* "purple", "irc", "sms": for logs */
	PgNetworkFlags flags;
	/* The bytes of text one legacy line carries at most, counted low (the
	 * worker cuts longer lines: backends/purple/pg-purple-lines.c), for
	 * max_lines_per_message (session/pg-limits.h); 0: lines are not cut,
	 * and not counted. */
	gsize text_line_bytes;

	/* --- addressing */
	/* Read @jid (a JID under the transport, with a local part, from
	 * pg_jid_parse()).  Returns: (transfer full) or NULL with
	 * PG_ERROR_JID_MALFORMED or PG_ERROR_ITEM_NOT_FOUND. */
	PgNetworkAddress *(*parse_address)(const PgTransportConfig *transport, const PgJid *jid,
					   GError **error);
	/* parse_address()'s verdict, for the boundary every stanza passes (may
	 * be faster: contrib/bench/jid_bench.c). */
	gboolean (*check_address)(const PgTransportConfig *transport, const PgJid *jid,
				  GError **error);
	/* The JID of @name (a contact or a room) on @server, with @resource if
	 * not NULL.  Returns: (transfer full) */
	gchar *(*address_to_jid)(const PgTransportConfig *transport, const gchar *name,
				 const gchar *server, const gchar *resource);
	/* XEP-0100 §6.3: a legacy id typed by a user (trimmed, not empty) to a
	 * JID.  Returns: (transfer full) or NULL with PG_ERROR_JID_MALFORMED. */
	gchar *(*jid_from_legacy_id)(const PgTransportConfig *transport, const gchar *legacy_id,
				     GError **error);
	const gchar *gateway_prompt; /* XEP-0100 §6.3.1 <prompt/> */
	/* The server whose link comes up with the session ("" on a network
	 * without servers), or NULL: links connect on first use. */
	const gchar *(*session_server)(const PgTransportConfig *transport);

	/* --- registration */
	const gchar *register_instructions;
	const PgNetworkField *(*register_fields)(const PgTransportConfig *transport,
						 gsize *n_fields);
	/* The XEP-0004 form offered to a user; @account (nullable) fills the
	 * values of a registered user.  Returns: (transfer full) */
	PgForm *(*register_form)(const PgNetwork *network, const PgTransportConfig *transport,
				 const PgAccount *account);
	/* Read the submitted @values (var -> value) into an account of
	 * @user_jid.  Returns: (transfer full) or NULL with the error to answer. */
	PgAccount *(*register_read)(const PgNetwork *network, const PgTransportConfig *transport,
				    const gchar *user_jid, GHashTable *values, GError **error);
	/* Before the account is stored: whether @registry may take it (e.g. an
	 * SMS number belongs to one user).  NULL: always. */
	gboolean (*register_check)(const PgTransportConfig *transport, PgRegistry *registry,
				   const PgAccount *account, GError **error);

	/* The account of a user who did not register, for a link whose first
	 * use asked for @nick (a room nick, nullable): the network works
	 * without registration (biboumi's rooms), the registration only adds
	 * credentials and defaults.  NULL (the hook or its result): register
	 * first.  Returns: (transfer full) */
	PgAccount *(*guest_account)(const PgTransportConfig *transport, const gchar *user_jid,
				    const gchar *nick);

	/* --- per-server settings (PG_NETWORK_SERVERS; NULL: none): the
	 * XEP-0050 "configure" command on a server's JID
	 * (session/pg-server-settings.c).  The form for @server, its values
	 * from @account (secrets never shown).  Returns: (transfer full) */
	PgForm *(*server_settings_form)(const PgTransportConfig *transport,
					const PgAccount *account, const gchar *server);
	/* Take the submitted @values (var -> value) for @server into @account.
	 * FALSE with the error to answer (PG_ERROR_NOT_ACCEPTABLE). */
	gboolean (*server_settings_read)(const PgTransportConfig *transport, PgAccount *account,
					 const gchar *server, GHashTable *values, GError **error);

	/* A charset a user may give a room (the room's configuration,
	 * session/pg-room-history.c) for its lines in and out: the name to
	 * keep, or NULL if @value is none this network can use.  NULL hook: no
	 * encoding per room.  Returns: (transfer full) */
	gchar *(*check_charset)(const gchar *value);

	/* --- login and disconnects */
	/* The PG_IPC_CMD_LOGIN message; *@notice (nullable, transfer full)
	 * says something to the user.  Returns: (transfer full) */
	PgIpcMessage *(*build_login)(const PgNetworkLogin *login, gchar **notice);
	/* A link lost its connection (@reason may be NULL; @fatal: the worker
	 * said so; @was_connected: it was up).  May change *@link_flags. */
	PgNetworkVerdict (*classify_disconnect)(guint *link_flags, const gchar *reason,
						gboolean fatal, gboolean was_connected);

	/* --- discovery */
	/* XEP-0100 §5 / the registrar's "gateway" category type. */
	const gchar *(*disco_type)(const PgTransportConfig *transport);
	/* PG_NETWORK_ROOMS: the "conference" identity type of a room JID. */
	const gchar *room_disco_type;

	/* --- the plugin */
	/* The libpurple protocol whose options the daemon reads from a worker
	 * at start (session/pg-protocol-probe.h), or NULL: none to read. */
	const gchar *(*probed_protocol)(const PgTransportConfig *transport);
};

/* The driver of a transport of @type (never NULL: unknown types get the
 * generic libpurple driver).  Returns: (transfer none) static */
const PgNetwork *pg_network_for(PgTransportType type);

/* XEP-0100 §6.3: the JID of @legacy_id (as a user typed it: trimmed here)
 * on @transport.  Returns: (transfer full) or NULL with PG_ERROR_JID_MALFORMED.
 */
gchar *pg_network_jid_from_legacy_id(const PgTransportConfig *transport, const gchar *legacy_id,
				     GError **error);
/* Whether @jid, with a local part, names something @transport's network
 * can address: the per-network part of the JID boundary (pg-transport.c).
 * FALSE with the error to answer. */
gboolean pg_network_check_address(const PgTransportConfig *transport, const PgJid *jid,
				  GError **error);

static inline gboolean
pg_network_has(const PgNetwork *network, PgNetworkFlags flag)
{
	return (network->flags & flag) != 0;
}

/* What a contact of @transport can do, from its driver and its plugin's
 * protocol info (NULL until probed: nothing): XEP-0085 chat states (a
 * network with a buddy list whose plugin sends typing) and XEP-0184
 * receipts (the worker has a delivery path for the plugin). */
gboolean pg_network_chat_states(const PgTransportConfig *transport);
gboolean pg_network_receipts(const PgTransportConfig *transport);

/* Shared by the drivers: the schema-driven form and account reading. */
PgForm *pg_network_schema_form(const PgNetwork *network, const PgTransportConfig *transport,
			       const PgAccount *account);
PgAccount *pg_network_schema_read(const PgNetwork *network, const PgTransportConfig *transport,
				  const gchar *user_jid, GHashTable *values, GError **error);

G_END_DECLS
