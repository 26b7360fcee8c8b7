/* Sessions and the stanza <-> worker translation.
 *
 * DESIGN
 *   PgSessionManager   one per daemon: every transport's delegate; finds the
 *                      session of a stanza and the link of a worker event.
 *   PgSession          (user, transport): the user's resources, the links.
 *   PgLink             one legacy connection: its account key in the worker,
 *                      its state, its rooms, what waits for it to connect.
 *   PgRoom             a legacy room as a XEP-0045 room: which of the
 *                      user's resources are in it, its occupants, our nick.
 *
 * Account keys are "user@domain/transport.jid" plus "/server" for IRC; the
 * worker knows nothing else of the user.
 *
 * Ownership: the manager owns the sessions; a session owns its links; a
 * link owns its rooms.  Worker events find a link by account key through
 * manager->links (borrowed pointers, removed when the link is freed).
 *
 * INVARIANT: a link is freed only from pg_session_free() or
 * pg_session_drop_link(), or as an idle link of the session a user's
 * stanza is for (pg_limits_get_link()), never while one of its own events
 * is handled further up the stack; event handlers therefore re-look-up
 * nothing after calling out, and a stanza handler holds no link across a
 * pg_limits_get_link().
 *
 * XMPP side, per XEP-0045: a user's resource joins a room with presence to
 * room@transport/nick; we answer with the occupant list, then the
 * self-presence (status 110, and 210 if the legacy network gave another
 * nick), then the subject (§7.2.15: subject last).  A message to the room
 * is reflected to all of the user's joined resources when the legacy
 * network echoes it (prpl-irc reports our own line back), with the id the
 * client gave it, so clients can match their echo (§7.2.16 / §7.4).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-phone.h"
#include "ipc/pg-ipc-message.h"
#include "registry/pg-account.h"
#include "registry/pg-irc-creds.h"
#include "session/pg-irc-gate.h"
#include "session/pg-session-audit.h"
#include "session/pg-account-state.h"
#include "session/pg-link-queue.h"
#include "session/pg-prompts.h"
#include "session/pg-session-private.h"
#include "session/pg-sms.h"
#include "session/pg-supervisor.h"
#include "session/pg-worker-dirs.h"
#include "xmpp/pg-adhoc.h"
#include "xmpp/pg-jid.h"
#include "xmpp/pg-muc.h"
#include "xmpp/pg-stanza.h"

/* How long a stop waits for the SMS gateway's answers (pg_sms_drain()). */
#define PG_SESSION_SMS_DRAIN_MS 5000

#define PG_LINK_BACKOFF_MIN_S 2
#define PG_LINK_BACKOFF_MAX_S 120
#define PG_LINK_PENDING_MAX 500     /* commands kept while a link connects */
#define PG_SESSION_RECENT_MAX 64    /* requests remembered for error replies */
#define PG_NS_CHATSTATES "http://jabber.org/protocol/chatstates"

static void pg_session_end(PgSession *session);

/* ---------------------------------------------------------------- rooms */

static void
pg_room_free(PgRoom *room)
{
	g_free(room->name);
	g_free(room->jid);
	g_free(room->nick);
	g_free(room->subject);
	g_hash_table_unref(room->resources);
	g_hash_table_unref(room->occupants);
	g_queue_free_full(room->echo_ids, g_free);
	g_free(room);
}

static PgRoom *
pg_room_new(const gchar *name, const gchar *jid, const gchar *nick)
{
	PgRoom *room = g_new0(PgRoom, 1);
	room->name = g_strdup(name);
	room->jid = g_strdup(jid);
	room->nick = g_strdup(nick);
	room->resources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	room->occupants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	room->echo_ids = g_queue_new();
	return room;
}

/* ---------------------------------------------------------------- sending */

xmpp_ctx_t *
pg_session_ctx(PgSession *session)
{
	return pg_transport_get_ctx(session->transport);
}

void
pg_session_send(PgSession *session, xmpp_stanza_t *stanza)
{
	pg_transport_send(session->transport, stanza);
	xmpp_stanza_release(stanza);
}

/* A chat message from the transport itself to the user: notices. */
static void
pg_session_notice(PgSession *session, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static void
pg_session_notice(PgSession *session, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *text = NULL;
	xmpp_stanza_t *message;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	message = xmpp_message_new(pg_session_ctx(session), "chat", session->user_jid, NULL);
	pg_stanza_set_body(message, text);
	pg_session_send(session, message);
}

const PgNetwork *
pg_session_network(PgTransport *transport)
{
	return pg_network_for(pg_transport_get_config(transport)->type);
}

gchar *
pg_session_contact_jid(PgLink *link, const gchar *who)
{
	PgTransport *transport = link->session->transport;

	return pg_session_network(transport)->address_to_jid(pg_transport_get_config(transport),
							     who, link->server, NULL);
}

/* What @jid (a JID under @transport, as the boundary parsed it) names on
 * its network.  Returns: (transfer full) or NULL with the error to answer. */
static PgNetworkAddress *
pg_session_parse_address(PgTransport *transport, const PgJid *jid, GError **error)
{
	return pg_session_network(transport)->parse_address(pg_transport_get_config(transport),
							    jid, error);
}

/* ---------------------------------------------------------------- requests */

static void
pg_session_request_free(PgSessionRequest *request)
{
	xmpp_stanza_release(request->stanza);
	g_free(request);
}

static void
pg_session_remember(PgSession *session, guint32 id, xmpp_stanza_t *stanza)
{
	PgSessionRequest *request = g_new0(PgSessionRequest, 1);
	request->id = id;
	request->stanza = xmpp_stanza_clone(stanza);
	g_queue_push_tail(session->recent, request);
	while (g_queue_get_length(session->recent) > PG_SESSION_RECENT_MAX)
		pg_session_request_free(g_queue_pop_head(session->recent));
}

static xmpp_stanza_t *
pg_session_recall(PgSession *session, guint32 id)
{
	for (GList *l = session->recent->head; l != NULL; l = l->next) {
		PgSessionRequest *request = l->data;
		if (request->id == id)
			return request->stanza;
	}
	return NULL;
}

/* ---------------------------------------------------------------- links */

static void
pg_link_free(PgLink *link)
{
	PgSessionManager *manager = link->session->manager;

	g_clear_handle_id(&link->login_timeout_id, g_source_remove);
	g_clear_handle_id(&link->retry_id, g_source_remove);
	pg_prompts_forget_link(link);
	g_hash_table_remove(manager->links, link->account);
	if (pg_supervisor_has_account(manager->supervisor, link->account) ||
	    link->state == PG_LINK_CONNECTING)
		pg_supervisor_logout(manager->supervisor, link->account);
	g_hash_table_unref(link->rooms);
	g_hash_table_unref(link->online);
	pg_link_queue_free(link);
	g_queue_free_full(link->pending, (GDestroyNotify)pg_ipc_message_free);
	g_free(link->server);
	g_free(link->account);
	g_free(link->last_error);
	g_free(link);
}

static PgLink *
pg_link_new(PgSession *session, const gchar *server)
{
	PgLink *link = g_new0(PgLink, 1);
	const gchar *transport_jid = pg_transport_get_jid(session->transport);

	link->session = session;
	link->server = g_strdup(server);
	link->account = server[0] != '\0' ? g_strdup_printf("%s/%s/%s", session->user_jid,
							     transport_jid, server)
					  : g_strdup_printf("%s/%s", session->user_jid,
							    transport_jid);
	link->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)pg_room_free);
	link->pending = g_queue_new();
	link->online = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	link->backoff_s = PG_LINK_BACKOFF_MIN_S;
	g_hash_table_insert(session->manager->links, link->account, link);
	return link;
}

PgLink *
pg_session_get_link(PgSession *session, const gchar *server)
{
	PgLink *link = g_hash_table_lookup(session->links, server);
	if (link == NULL) {
		link = pg_link_new(session, server);
		g_hash_table_insert(session->links, g_strdup(server), link);
	}
	return link;
}

/* Send @msg (transfer full) now, or keep it until the link is up. */
gboolean
pg_link_command(PgLink *link, PgIpcMessage *msg, xmpp_stanza_t *origin)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgIpcMessage) owned = msg;

	/* a line for a room being rejoined waits for it too (pg-link-queue.h) */
	if (link->state != PG_LINK_CONNECTED || pg_link_queue_waits_for_room(link, owned)) {
		if (origin != NULL &&
		    !pg_limits_allow_queue(link->session->manager->limits, link, owned, &error)) {
			pg_transport_reply_error(link->session->transport, origin, error);
			return FALSE;
		}
		if (g_queue_get_length(link->pending) >= PG_LINK_PENDING_MAX) {
			if (origin != NULL)
				pg_transport_reply_error_code(
				    link->session->transport, origin, PG_ERROR_RESOURCE_CONSTRAINT,
				    "too many messages wait for the legacy connection");
			return FALSE;
		}
		pg_link_queue_remember(link, owned, origin);
		g_queue_push_tail(link->pending, g_steal_pointer(&owned));
		if (link->state == PG_LINK_OFFLINE || link->state == PG_LINK_FAILED)
			pg_link_connect(link);
		return TRUE;
	}
	if (!pg_supervisor_send(link->session->manager->supervisor, link->account, owned, &error)) {
		if (origin != NULL)
			pg_transport_reply_error(link->session->transport, origin, error);
		return FALSE;
	}
	if (origin != NULL)
		pg_session_remember(link->session, owned->id, origin);
	pg_link_queue_sent(link, owned, origin);
	return TRUE;
}

static PgIpcMessage *
pg_link_build_login(PgLink *link, const PgNetworkTarget *target, GError **error)
{
	PgSession *session = link->session;
	const PgTransportConfig *transport = pg_transport_get_config(session->transport);
	g_autoptr(PgAccount) account = NULL;
	g_autofree gchar *notice = NULL;
	PgNetworkLogin login = {
	    .config = session->manager->config,
	    .transport = transport,
	    .account_key = link->account,
	    .server = link->server,
	    .target = target,
	    .flags = link->network_flags,
	};
	PgIpcMessage *message;

	account = pg_registry_get_account(pg_transport_get_registry(session->transport),
					  transport->jid, session->user_jid, error);
	if (account == NULL)
		return NULL;
	login.account = account;
	message = pg_session_network(session->transport)->build_login(&login, &notice);
	/* what the plugin kept at the last login (pg-account-state.h) */
	message = pg_account_state_attach(message, account);
	if (notice != NULL)
		pg_session_notice(session, "%s", notice);
	return message;
}

static void pg_link_on_disconnected(PgLink *link, const gchar *reason, gboolean fatal);

/* A login with no answer (a server that accepts and never speaks, a worker
 * stuck in a connect) counts as a failed try, so that it is retried with
 * backoff and, if it never worked, given up (pg-link-queue.h). */
static gboolean
pg_link_login_timeout_cb(gpointer user_data)
{
	PgLink *link = user_data;
	guint timeout = pg_transport_get_config(link->session->transport)->link_login_timeout;
	g_autofree gchar *reason =
	    g_strdup_printf("no answer from the server within %u s", timeout);

	link->login_timeout_id = 0;
	if (link->state != PG_LINK_CONNECTING)
		return G_SOURCE_REMOVE;
	/* the worker would keep the half-made connection: take the account back */
	pg_supervisor_logout(link->session->manager->supervisor, link->account);
	pg_link_on_disconnected(link, reason, FALSE);
	return G_SOURCE_REMOVE;
}

void
pg_link_arm_login_timeout(PgLink *link)
{
	guint timeout = pg_transport_get_config(link->session->transport)->link_login_timeout;

	g_clear_handle_id(&link->login_timeout_id, g_source_remove);
	if (timeout > 0)
		link->login_timeout_id =
		    g_timeout_add_seconds(timeout, pg_link_login_timeout_cb, link);
}

void
pg_link_connect(PgLink *link)
{
	g_autoptr(GError) error = NULL;
	const PgNetworkTarget *target = NULL;
	PgIpcMessage *login;

	g_clear_handle_id(&link->retry_id, g_source_remove);
	if (pg_network_has(pg_session_network(link->session->transport), PG_NETWORK_SERVERS)) {
		/* resolved and checked first (pg-irc-gate.h); the gate calls
		 * pg_session_irc_ready_cb() when it knows */
		target = pg_irc_gate_lookup(link->session->manager->irc_gate, link->session->transport,
					    link->server, link->account);
		if (target == NULL) {
			link->state = PG_LINK_CONNECTING;
			return;
		}
		/* refused: fatal; not found: a failed try like any other */
		if (!target->allowed) {
			link->state = PG_LINK_CONNECTING;
			pg_link_on_disconnected(link, target->error->message,
						g_error_matches(target->error, PG_ERROR,
								PG_ERROR_NOT_ALLOWED));
			return;
		}
	}
	login = pg_link_build_login(link, target, &error);
	if (login == NULL) {
		link->state = PG_LINK_FAILED;
		g_warning("cannot log %s in: %s", link->account, error->message);
		return;
	}
	link->state = PG_LINK_CONNECTING;
	g_info("%s: logging in", link->account);
	if (!pg_supervisor_login(link->session->manager->supervisor, link->account, login, &error))
		g_warning("%s: %s", link->account, error->message);
	pg_link_arm_login_timeout(link);
}

static gboolean
pg_link_retry_cb(gpointer user_data)
{
	PgLink *link = user_data;
	link->retry_id = 0;
	pg_link_connect(link);
	return G_SOURCE_REMOVE;
}

static void
pg_link_schedule_retry(PgLink *link)
{
	guint delay_ms;

	link->state = PG_LINK_WAITING;
	/* full jitter in [backoff/2, backoff]: sessions dropped together by one
	 * network outage do not come back in lockstep */
	delay_ms = link->backoff_s * 500 + g_random_int_range(0, (gint32)link->backoff_s * 500 + 1);
	link->backoff_s = MIN(link->backoff_s * 2, PG_LINK_BACKOFF_MAX_S);
	g_clear_handle_id(&link->retry_id, g_source_remove);
	link->retry_id = g_timeout_add(delay_ms, pg_link_retry_cb, link);
}

/* ---------------------------------------------------------------- rooms, XMPP side */

static void
pg_room_send_occupant(PgSession *session, PgRoom *room, const gchar *to, const gchar *nick,
		      const gchar *flags, const gchar *type, const gint *statuses,
		      const gchar *new_nick, const gchar *reason)
{
	const gchar *affiliation = NULL;
	const gchar *role = NULL;

	pg_muc_flags_to_role(flags, &affiliation, &role);
	if (g_strcmp0(type, "unavailable") == 0)
		role = "none";
	pg_session_send(session, pg_muc_occupant_presence(pg_session_ctx(session), room->jid,
							  nick, to, type, affiliation, role,
							  statuses, new_nick, reason));
}

/* XEP-0045 §7.2.3: the others first, then self (110), then the subject. */
static void
pg_room_send_state(PgSession *session, PgRoom *room, const gchar *to, const gchar *requested)
{
	GHashTableIter iter;
	gpointer nick;
	gpointer flags;
	gint self_statuses[3] = {PG_MUC_STATUS_SELF, 0, 0};

	g_hash_table_iter_init(&iter, room->occupants);
	while (g_hash_table_iter_next(&iter, &nick, &flags)) {
		if (g_strcmp0(nick, room->nick) != 0)
			pg_room_send_occupant(session, room, to, nick, flags, NULL, NULL, NULL,
					      NULL);
	}
	if (requested != NULL && g_strcmp0(requested, room->nick) != 0)
		self_statuses[1] = PG_MUC_STATUS_NICK_ASSIGNED;
	pg_room_send_occupant(session, room, to, room->nick,
			      g_hash_table_lookup(room->occupants, room->nick), NULL, self_statuses,
			      NULL, NULL);
	pg_session_send(session, pg_muc_subject(pg_session_ctx(session), room->jid, NULL, to,
						room->subject != NULL ? room->subject : ""));
}

/* To every resource of the user in @room. */
static void
pg_room_broadcast_occupant(PgSession *session, PgRoom *room, const gchar *nick,
			   const gchar *flags, const gchar *type, const gint *statuses,
			   const gchar *new_nick, const gchar *reason)
{
	GHashTableIter iter;
	gpointer to;

	g_hash_table_iter_init(&iter, room->resources);
	while (g_hash_table_iter_next(&iter, &to, NULL))
		pg_room_send_occupant(session, room, to, nick, flags, type, statuses, new_nick,
				      reason);
}

/* The user's resource @to leaves @room on the XMPP side (self-presence). */
static void
pg_room_send_self_unavailable(PgSession *session, PgRoom *room, const gchar *to, gint extra,
			      const gchar *reason)
{
	gint statuses[3] = {PG_MUC_STATUS_SELF, extra, 0};
	pg_room_send_occupant(session, room, to, room->nick, NULL, "unavailable", statuses, NULL,
			      reason);
}

/* Every resource of the user in @room leaves it on the XMPP side. */
static void
pg_room_send_self_unavailable_all(PgSession *session, PgRoom *room, gint extra,
				  const gchar *reason)
{
	GHashTableIter iter;
	gpointer to;

	g_hash_table_iter_init(&iter, room->resources);
	while (g_hash_table_iter_next(&iter, &to, NULL))
		pg_room_send_self_unavailable(session, room, to, extra, reason);
}

static void
pg_link_drop_room(PgLink *link, PgRoom *room, gint status, const gchar *reason)
{
	g_autofree gchar *key = g_utf8_strdown(room->name, -1);

	pg_link_queue_fail_room(link, room->name, PG_ERROR_SERVICE_UNAVAILABLE,
				reason != NULL ? reason : "you are not in the room any more");
	pg_room_send_self_unavailable_all(link->session, room, status, reason);
	g_hash_table_remove(link->rooms, key);
}

/* ---------------------------------------------------------------- sessions */

static gchar *
pg_session_key(const gchar *user_jid, PgTransport *transport)
{
	return g_strdup_printf("%s\n%s", user_jid, pg_transport_get_jid(transport));
}

static void
pg_session_free(PgSession *session)
{
	g_clear_handle_id(&session->grace_id, g_source_remove);
	g_hash_table_unref(session->links);
	g_hash_table_unref(session->resources);
	g_queue_free_full(session->recent, (GDestroyNotify)pg_session_request_free);
	g_hash_table_unref(session->contacts);
	g_free(session->user_jid);
	g_free(session);
}

PgSession *
pg_session_lookup(PgSessionManager *self, const gchar *user_jid, PgTransport *transport)
{
	g_autofree gchar *key = pg_session_key(user_jid, transport);
	return g_hash_table_lookup(self->sessions, key);
}

PgSession *
pg_session_ensure(PgSessionManager *self, const gchar *user_jid, PgTransport *transport)
{
	PgSession *session = pg_session_lookup(self, user_jid, transport);

	if (session != NULL)
		return session;
	session = g_new0(PgSession, 1);
	session->manager = self;
	session->transport = transport;
	session->user_jid = g_strdup(user_jid);
	session->resources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	session->links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)pg_link_free);
	session->recent = g_queue_new();
	session->contacts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_insert(self->sessions, pg_session_key(user_jid, transport), session);
	g_message("%s: session of %s started", pg_transport_get_jid(transport), user_jid);
	return session;
}

static void
pg_session_end(PgSession *session)
{
	g_autofree gchar *key = pg_session_key(session->user_jid, session->transport);
	g_message("%s: session of %s ended", pg_transport_get_jid(session->transport),
		  session->user_jid);
	g_hash_table_remove(session->manager->sessions, key);
}

static gboolean
pg_session_grace_cb(gpointer user_data)
{
	PgSession *session = user_data;
	session->grace_id = 0;
	/* texts still to send keep it (pg-sms.c releases it once they went) */
	if (g_hash_table_size(session->resources) == 0 &&
	    !pg_sms_holds_session(session->manager->sms, session))
		pg_session_end(session);
	return G_SOURCE_REMOVE;
}

void
pg_session_release(PgSession *session)
{
	if (g_hash_table_size(session->resources) > 0 || session->grace_id != 0)
		return;
	session->grace_id = g_timeout_add_seconds(PG_SESSION_GRACE_S, pg_session_grace_cb, session);
}

/* XMPP <show/> of the most available resource -> legacy status. */
static const gchar *
pg_session_status(PgSession *session)
{
	static const gchar *const order[] = {"", "chat", "away", "xa", "dnd"};
	GHashTableIter iter;
	gpointer show;
	guint best = G_N_ELEMENTS(order);

	g_hash_table_iter_init(&iter, session->resources);
	while (g_hash_table_iter_next(&iter, NULL, &show)) {
		for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
			if (g_strcmp0(show, order[i]) == 0 && i < best)
				best = i;
		}
	}
	if (best >= G_N_ELEMENTS(order))
		return "offline";
	return best <= 1 ? "available" : order[best];
}

static void
pg_session_update_status(PgSession *session, const gchar *message)
{
	GHashTableIter iter;
	gpointer value;
	const gchar *status = pg_session_status(session);

	/* No available resource: the user went away (the grace timer logs the
	 * session out) or never came (a session that only sends SMS).  libpurple
	 * takes an "offline" status as "disconnect the account", which would
	 * cut an SMS in flight and drop the grace period: keep the status. */
	if (g_strcmp0(status, "offline") == 0)
		return;
	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgLink *link = value;
		if (link->state != PG_LINK_CONNECTED)
			continue;
		pg_link_command(link,
				pg_ipc_message_new(PG_IPC_CMD_SET_STATUS, 0, "account",
						   g_variant_new_string(link->account), "status",
						   g_variant_new_string(status), "message",
						   message != NULL ? g_variant_new_string(message)
								   : NULL,
						   NULL),
				NULL);
	}
}

/* The network's session server (IRC: the fixed one; others: their one
 * link) comes up with the session; other servers connect on first use. */
static void
pg_session_connect_default(PgSession *session, xmpp_stanza_t *presence)
{
	const gchar *server = pg_session_network(session->transport)
				  ->session_server(pg_transport_get_config(session->transport));
	g_autoptr(GError) error = NULL;
	PgLink *link;

	if (server == NULL)
		return;
	link = pg_limits_get_link(session->manager->limits, session, server, &error);
	if (link == NULL) {
		pg_transport_reply_error(session->transport, presence, error);
		return;
	}
	if (link->state == PG_LINK_OFFLINE)
		pg_link_connect(link);
}

/* ---------------------------------------------------------------- stanzas from users */

gboolean
pg_session_user_registered(PgSessionManager *self, PgTransport *transport, const gchar *user_jid)
{
	g_autoptr(PgAccount) account = pg_registry_get_account(
	    pg_transport_get_registry(transport), pg_transport_get_jid(transport), user_jid, NULL);
	return account != NULL;
}

/* @resource (a full JID) went unavailable: it leaves every room it was in;
 * the session ends after the grace period if it was the last one. */
void
pg_session_drop_resource(PgSession *session, const gchar *resource, const gchar *status_text)
{
	GHashTableIter links;
	gpointer value;

	g_hash_table_remove(session->resources, resource);
	g_hash_table_iter_init(&links, session->links);
	while (g_hash_table_iter_next(&links, NULL, &value)) {
		PgLink *link = value;
		GHashTableIter rooms;
		gpointer room;
		g_hash_table_iter_init(&rooms, link->rooms);
		while (g_hash_table_iter_next(&rooms, NULL, &room))
			g_hash_table_remove(((PgRoom *)room)->resources, resource);
	}
	if (g_hash_table_size(session->resources) == 0) {
		g_clear_handle_id(&session->grace_id, g_source_remove);
		session->grace_id =
		    g_timeout_add_seconds(PG_SESSION_GRACE_S, pg_session_grace_cb, session);
	} else {
		pg_session_update_status(session, status_text);
	}
}

void
pg_session_end_if_idle(PgSession *session)
{
	g_clear_handle_id(&session->grace_id, g_source_remove);
	if (g_hash_table_size(session->resources) == 0 &&
	    !pg_sms_holds_session(session->manager->sms, session))
		pg_session_end(session);
	else
		pg_session_release(session);
}

static void
pg_session_handle_user_presence(PgSessionManager *self, PgTransport *transport,
				xmpp_stanza_t *presence, const gchar *user_jid)
{
	const gchar *type = xmpp_stanza_get_type(presence);
	const gchar *from = xmpp_stanza_get_from(presence);
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	g_autofree gchar *status_text = pg_stanza_get_child_text(presence, "status");

	if (g_strcmp0(type, "unavailable") == 0) {
		if (session == NULL)
			return;
		/* a probe's answer may end the whole session: look it up again */
		pg_session_audit_presence(self->audit, transport, user_jid, from, FALSE);
		session = pg_session_lookup(self, user_jid, transport);
		if (session != NULL)
			pg_session_drop_resource(session, from, status_text);
		return;
	}
	if (type != NULL)
		return;
	if (!pg_session_user_registered(self, transport, user_jid))
		return;
	session = pg_session_ensure(self, user_jid, transport);
	pg_session_audit_presence(self->audit, transport, user_jid, from, TRUE);
	g_clear_handle_id(&session->grace_id, g_source_remove);
	{
		g_autofree gchar *show = pg_stanza_get_child_text(presence, "show");
		g_hash_table_insert(session->resources, g_strdup(from),
				    g_strdup(show != NULL ? show : ""));
	}
	pg_session_connect_default(session, presence);
	pg_session_update_status(session, status_text);
}

static void
pg_session_handle_room_presence(PgSessionManager *self, PgTransport *transport,
				xmpp_stanza_t *presence, const gchar *user_jid,
				PgNetworkAddress *address)
{
	const gchar *type = xmpp_stanza_get_type(presence);
	const gchar *from = xmpp_stanza_get_from(presence);
	g_autofree gchar *room_jid = pg_session_network(transport)->address_to_jid(
	    pg_transport_get_config(transport), address->name, address->server, NULL);
	g_autofree gchar *key = g_utf8_strdown(address->name, -1);
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	g_autoptr(GError) error = NULL;
	PgLink *link;
	PgRoom *room;

	if (g_strcmp0(type, "unavailable") == 0) {
		/* XEP-0045 §7.14: leaving; the self-presence confirms it */
		link = session != NULL ? g_hash_table_lookup(session->links, address->server) : NULL;
		room = link != NULL ? g_hash_table_lookup(link->rooms, key) : NULL;
		if (room == NULL || !g_hash_table_remove(room->resources, from))
			return;
		pg_room_send_self_unavailable(session, room, from, 0, NULL);
		if (g_hash_table_size(room->resources) == 0) {
			pg_link_command(link,
					pg_ipc_message_new(PG_IPC_CMD_LEAVE_ROOM, 0, "account",
							   g_variant_new_string(link->account),
							   "room", g_variant_new_string(room->name),
							   NULL),
					NULL);
			g_hash_table_remove(link->rooms, key);
		}
		return;
	}
	if (type != NULL)
		return;
	if (!pg_session_user_registered(self, transport, user_jid)) {
		pg_transport_reply_error_code(transport, presence, PG_ERROR_REGISTRATION_REQUIRED,
					      "register with this gateway first");
		return;
	}
	if (address->resource == NULL) {
		/* XEP-0045 §7.2.1: a join names the nick */
		pg_transport_reply_error_code(transport, presence, PG_ERROR_JID_MALFORMED,
					      "join the room as room@service/nick");
		return;
	}
	session = pg_session_ensure(self, user_jid, transport);
	g_clear_handle_id(&session->grace_id, g_source_remove);
	/* a join (or a rejoin after the server restarted) proves the resource */
	pg_session_audit_presence(self->audit, transport, user_jid, from, TRUE);
	if (!g_hash_table_contains(session->resources, from))
		g_hash_table_insert(session->resources, g_strdup(from), g_strdup(""));
	link = pg_limits_get_link(self->limits, session, address->server, &error);
	room = link != NULL ? g_hash_table_lookup(link->rooms, key) : NULL;
	if (link == NULL || (room == NULL && !pg_limits_allow_room(self->limits, session, &error))) {
		/* XEP-0045 §7.2: a refused join is an error presence from room/nick */
		pg_transport_reply_error(transport, presence, error);
		return;
	}
	if (room == NULL) {
		room = pg_room_new(address->name, room_jid, address->resource);
		g_hash_table_insert(link->rooms, g_strdup(key), room);
	}
	if (g_hash_table_contains(room->resources, from)) {
		/* a presence update inside the room: nothing to do on IRC.  But a
		 * join (XEP-0045 §7.2.1: it carries <x xmlns=muc/>) is a client
		 * that lost the room, e.g. its server restarted, and comes back
		 * with the same full JID: it gets the room again */
		if (room->joined && xmpp_stanza_get_child_by_ns(presence, PG_NS_MUC) != NULL)
			pg_room_send_state(session, room, from, address->resource);
		return;
	}
	g_hash_table_add(room->resources, g_strdup(from));
	if (room->joined) {
		/* another resource of the same user: the room is already there */
		pg_room_send_state(session, room, from, address->resource);
		return;
	}
	pg_link_command(link,
			pg_ipc_message_new(PG_IPC_CMD_JOIN_ROOM, 0, "account",
					   g_variant_new_string(link->account), "room",
					   g_variant_new_string(room->name), "nick",
					   g_variant_new_string(address->resource), NULL),
			presence);
}

static gboolean
pg_session_handle_presence(PgSessionManager *self, PgTransport *transport,
			   xmpp_stanza_t *presence, const gchar *user_jid, const PgJid *to)
{
	const gchar *type = xmpp_stanza_get_type(presence);
	const PgNetwork *network = pg_session_network(transport);

	if (to->local == NULL) {
		pg_session_handle_user_presence(self, transport, presence, user_jid);
		return TRUE;
	}
	if (pg_network_has(network, PG_NETWORK_ROOMS)) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PgNetworkAddress) address =
		    pg_session_parse_address(transport, to, &error);
		if (address == NULL) {
			pg_transport_reply_error(transport, presence, error);
			return TRUE;
		}
		if (address->is_room) {
			pg_session_handle_room_presence(self, transport, presence, user_jid,
							address);
			return TRUE;
		}
	}
	/* presence to a contact: subscriptions are approved (legacy networks
	 * like IRC have none); available/unavailable count as the user's */
	if (g_strcmp0(type, "subscribe") == 0 || g_strcmp0(type, "probe") == 0) {
		xmpp_stanza_t *reply = xmpp_presence_new(pg_transport_get_ctx(transport));
		xmpp_stanza_set_from(reply, to->bare);
		xmpp_stanza_set_to(reply, user_jid);
		if (g_strcmp0(type, "subscribe") == 0)
			xmpp_stanza_set_type(reply, "subscribed");
		else
			xmpp_stanza_set_type(reply, "unavailable");
		pg_transport_send(transport, reply);
		xmpp_stanza_release(reply);
		return TRUE;
	}
	if (type == NULL || g_strcmp0(type, "unavailable") == 0)
		pg_session_handle_user_presence(self, transport, presence, user_jid);
	/* available to nick%server: that IRC server comes up too, so the contact
	 * can reach the user (without a fixed irc_server nothing else would
	 * connect before the user's first message or join) */
	if (type == NULL && pg_network_has(network, PG_NETWORK_SERVERS)) {
		g_autoptr(PgNetworkAddress) address = pg_session_parse_address(transport, to, NULL);
		PgSession *session = pg_session_lookup(self, user_jid, transport);
		if (address != NULL && session != NULL) {
			g_autoptr(GError) error = NULL;
			PgLink *link = pg_limits_get_link(self->limits, session, address->server,
							  &error);
			if (link == NULL)
				pg_transport_reply_error(transport, presence, error);
			else if (link->state == PG_LINK_OFFLINE)
				pg_link_connect(link);
		}
	}
	return TRUE;
}

static gboolean
pg_session_handle_message(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *message,
			  const gchar *user_jid, const PgJid *to)
{
	const gchar *type = xmpp_stanza_get_type(message);
	const PgNetwork *network = pg_session_network(transport);
	g_autofree gchar *body = pg_stanza_get_child_text(message, "body");
	g_autofree gchar *subject = pg_stanza_get_child_text(message, "subject");
	g_autoptr(GError) error = NULL;
	g_autoptr(PgNetworkAddress) address = NULL;
	g_autofree gchar *who = NULL;
	PgSession *session;
	PgLink *link;

	if (g_strcmp0(type, "error") == 0)
		return TRUE;
	if (to->local == NULL) /* an answer, else service-unavailable */
		return body != NULL &&
		       pg_prompts_on_reply(pg_session_lookup(self, user_jid, transport), body);
	if (!pg_session_user_registered(self, transport, user_jid)) {
		pg_transport_reply_error_code(transport, message, PG_ERROR_REGISTRATION_REQUIRED,
					      "register with this gateway first");
		return TRUE;
	}
	/* texts go through the durable outbox, not a link (pg-sms.h) */
	if (pg_network_has(network, PG_NETWORK_OUTBOX))
		return pg_sms_handle_message(self->sms, transport, message, user_jid, to);
	session = pg_session_ensure(self, user_jid, transport);

	address = pg_session_parse_address(transport, to, &error);
	if (address == NULL) {
		pg_transport_reply_error(transport, message, error);
		return TRUE;
	}
	link = pg_limits_get_link(self->limits, session, address->server, &error);
	if (link == NULL) {
		pg_transport_reply_error(transport, message, error);
		return TRUE;
	}
	if (address->is_room && address->resource == NULL) {
		g_autofree gchar *key = g_utf8_strdown(address->name, -1);
		PgRoom *room = g_hash_table_lookup(link->rooms, key);
		/* XEP-0045 §7.4: only occupants may send to the room */
		if (room == NULL ||
		    !g_hash_table_contains(room->resources, xmpp_stanza_get_from(message))) {
			pg_transport_reply_error_code(transport, message,
						      PG_ERROR_NOT_ACCEPTABLE,
						      "join the room before sending to it");
			return TRUE;
		}
		if (subject != NULL && body == NULL) {
			pg_link_command(link,
					pg_ipc_message_new(
					    PG_IPC_CMD_SET_ROOM_SUBJECT, 0, "account",
					    g_variant_new_string(link->account), "room",
					    g_variant_new_string(room->name), "subject",
					    g_variant_new_string(subject), NULL),
					message);
			return TRUE;
		}
		if (body == NULL)
			return TRUE; /* chat states and the like: IRC has none */
		/* a refused line has no echo to wait for (the echo comes
		 * with a later event, after this push) */
		if (pg_link_command(link,
				    pg_ipc_message_new(PG_IPC_CMD_ROOM_MESSAGE, 0, "account",
						       g_variant_new_string(link->account),
						       "room", g_variant_new_string(room->name),
						       "body", g_variant_new_string(body),
						       NULL),
				    message))
			g_queue_push_tail(room->echo_ids,
					  g_strdup(xmpp_stanza_get_id(message) != NULL
						       ? xmpp_stanza_get_id(message)
						       : ""));
		return TRUE;
	}
	/* a private message: to a contact, or to room/nick (IRC PMs are
	 * not tied to a channel) */
	who = g_strdup(address->is_room ? address->resource : address->name);
	if (body == NULL) {
		xmpp_stanza_t *state = xmpp_stanza_get_child_by_ns(message, PG_NS_CHATSTATES);
		if (state != NULL && link->state == PG_LINK_CONNECTED)
			pg_link_command(link,
					pg_ipc_message_new(
					    PG_IPC_CMD_TYPING, 0, "account",
					    g_variant_new_string(link->account), "to",
					    g_variant_new_string(who), "state",
					    g_variant_new_string(xmpp_stanza_get_name(state)), NULL),
					NULL);
		return TRUE;
	}
	pg_link_command(link,
			pg_ipc_message_new(PG_IPC_CMD_SEND_IM, 0, "account",
					   g_variant_new_string(link->account), "to",
					   g_variant_new_string(who), "body",
					   g_variant_new_string(body), NULL),
			message);
	return TRUE;
}

/* disco#info on a room or contact JID (XEP-0030, XEP-0045 §6.4). */
static gboolean
pg_session_handle_iq(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *iq,
		     const PgJid *to)
{
	const PgNetwork *network = pg_session_network(transport);
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_INFO);
	g_autoptr(PgNetworkAddress) address = NULL;
	xmpp_stanza_t *reply;
	xmpp_stanza_t *result;
	xmpp_stanza_t *identity;
	static const gchar *const room_features[] = {PG_NS_DISCO_INFO, PG_NS_MUC, "muc_open",
						     "muc_public", "muc_nonanonymous",
						     "muc_unsecured", "muc_persistent"};

	if (xmpp_stanza_get_child_by_ns(iq, PG_NS_PING) != NULL) {
		reply = pg_stanza_iq_result(iq);
		pg_transport_send(transport, reply);
		xmpp_stanza_release(reply);
		return TRUE;
	}
	if (query == NULL || g_strcmp0(xmpp_stanza_get_type(iq), "get") != 0)
		return FALSE;
	if (!pg_network_has(network, PG_NETWORK_ROOMS))
		return FALSE;
	address = pg_session_parse_address(transport, to, NULL);
	if (address == NULL)
		return FALSE;
	reply = pg_stanza_iq_result(iq);
	result = pg_stanza_add_child(reply, "query", PG_NS_DISCO_INFO);
	identity = pg_stanza_add_child(result, "identity", NULL);
	if (address->is_room && address->resource == NULL) {
		xmpp_stanza_set_attribute(identity, "category", "conference");
		xmpp_stanza_set_attribute(identity, "type", network->room_disco_type);
		pg_stanza_set_attribute(identity, "name", address->name);
		for (gsize i = 0; i < G_N_ELEMENTS(room_features); i++) {
			xmpp_stanza_t *feature = pg_stanza_add_child(result, "feature", NULL);
			xmpp_stanza_set_attribute(feature, "var", room_features[i]);
		}
	} else {
		xmpp_stanza_t *feature = pg_stanza_add_child(result, "feature", NULL);
		xmpp_stanza_set_attribute(identity, "category", "client");
		xmpp_stanza_set_attribute(identity, "type", "pc");
		pg_stanza_set_attribute(identity, "name", address->name);
		xmpp_stanza_set_attribute(feature, "var", PG_NS_DISCO_INFO);
	}
	pg_transport_send(transport, reply);
	xmpp_stanza_release(reply);
	return TRUE;
}

/* A stanza that names a server to connect to (PG_NETWORK_SERVERS) passes
 * the gate (pg-irc-gate.h) first.  FALSE: the gate took it. */
static gboolean
pg_session_irc_admit(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *stanza,
		     const gchar *user_jid, const PgJid *to)
{
	g_autoptr(PgNetworkAddress) address = NULL;
	PgSession *session;
	PgLink *link;

	if (!pg_network_has(pg_session_network(transport), PG_NETWORK_SERVERS) || to == NULL ||
	    to->local == NULL || g_strcmp0(xmpp_stanza_get_name(stanza), "iq") == 0)
		return TRUE;
	address = pg_session_parse_address(transport, to, NULL);
	if (address == NULL)
		return TRUE; /* the handlers say what is wrong with it */
	session = pg_session_lookup(self, user_jid, transport);
	link = session != NULL ? g_hash_table_lookup(session->links, address->server) : NULL;
	if (link != NULL && link->state == PG_LINK_CONNECTED)
		return TRUE; /* it was checked when it connected */
	/* nobody unregistered makes the gateway resolve names */
	if (session == NULL && !pg_session_user_registered(self, transport, user_jid))
		return TRUE;
	/* a new server past the user's link limit is refused by the handlers
	 * (pg_limits_get_link()): nothing to resolve for it, so one user
	 * naming a thousand servers makes no thousand lookups */
	if (session != NULL && link == NULL && !pg_limits_link_fits(self->limits, session))
		return TRUE;
	return pg_irc_gate_admit(self->irc_gate, transport, stanza, address->server);
}

static gboolean pg_session_stanza_cb(PgTransport *transport, xmpp_stanza_t *stanza,
				     const PgJid *from, const PgJid *to, gpointer user_data);

/* A stanza the gate kept comes back once its server is checked. */
static void
pg_session_irc_redispatch_cb(PgTransport *transport, xmpp_stanza_t *stanza, gpointer user_data)
{
	g_autoptr(PgJid) from = pg_jid_parse(xmpp_stanza_get_from(stanza), NULL);
	g_autoptr(PgJid) to = pg_jid_parse(xmpp_stanza_get_to(stanza), NULL);

	if (from != NULL && to != NULL &&
	    !pg_session_stanza_cb(transport, stanza, from, to, user_data) &&
	    g_strcmp0(xmpp_stanza_get_name(stanza), "message") == 0)
		pg_transport_reply_error_code(transport, stanza, PG_ERROR_SERVICE_UNAVAILABLE,
					      "this transport does not relay messages");
}

/* A login waited for its server's check (pg_link_connect()). */
static void
pg_session_irc_ready_cb(const gchar *account, gpointer user_data)
{
	PgSessionManager *self = user_data;
	PgLink *link = g_hash_table_lookup(self->links, account);

	/* CONNECTING with no login sent: pg_link_connect() stopped at the gate */
	if (link != NULL && link->state == PG_LINK_CONNECTING)
		pg_link_connect(link);
}

static gboolean
pg_session_stanza_cb(PgTransport *transport, xmpp_stanza_t *stanza, const PgJid *from,
		     const PgJid *to, gpointer user_data)
{
	PgSessionManager *self = user_data;
	const gchar *name = xmpp_stanza_get_name(stanza);
	const gchar *user_jid = from->bare;

	if (from->local == NULL)
		return FALSE;
	if (!pg_transport_config_allows_domain(pg_transport_get_config(transport), from->domain)) {
		if (g_strcmp0(name, "iq") == 0 || g_strcmp0(name, "message") == 0)
			pg_transport_reply_error_code(transport, stanza, PG_ERROR_FORBIDDEN,
						      "this gateway does not serve your domain");
		return TRUE;
	}
	if (!pg_session_irc_admit(self, transport, stanza, user_jid, to))
		return TRUE;
	if (g_strcmp0(name, "presence") == 0)
		return pg_session_handle_presence(self, transport, stanza, user_jid, to);
	if (g_strcmp0(name, "message") == 0)
		return pg_session_handle_message(self, transport, stanza, user_jid, to);
	if (g_strcmp0(name, "iq") == 0)
		return pg_session_handle_iq(self, transport, stanza, to);
	return FALSE;
}

static void
pg_session_unregistered_cb(PgTransport *transport, const gchar *user_jid, gpointer user_data)
{
	PgSessionManager *self = user_data;
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	if (session != NULL)
		pg_session_end(session);
}

/* Probes every user registered on @transport for their presence.
 *
 * DESIGN: the XMPP server tells a component of a user's presence only when
 * it changes.  After the gateway restarts, online users would get no
 * session until their next presence change; after the XMPP server
 * restarts, clients that came back before the component did sent their
 * presence into the void.  So each time the component connects it probes
 * (RFC 6121 §4.3) the users it holds a subscription to (XEP-0100 §4.1.1:
 * the registration asked for one), and the server answers with every
 * available resource, which starts the sessions as a presence would.
 * Users who did not approve the subscription are not answered: they come
 * back with their next presence, as before. */
static void
pg_session_probe_users(PgTransport *transport)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) users = NULL;
	const gchar *jid = pg_transport_get_jid(transport);

	/* only who: listing the accounts would unseal every secret */
	users = pg_registry_list_user_jids(pg_transport_get_registry(transport), jid, &error);
	if (users == NULL) {
		g_warning("%s: cannot list the registered users to probe: %s", jid,
			  error->message);
		return;
	}
	if (users->len > 0)
		g_info("%s: probing the presence of %u registered user(s)", jid, users->len);
	for (guint i = 0; i < users->len; i++) {
		xmpp_stanza_t *probe = xmpp_presence_new(pg_transport_get_ctx(transport));
		xmpp_stanza_set_type(probe, "probe");
		xmpp_stanza_set_from(probe, jid);
		xmpp_stanza_set_to(probe, g_ptr_array_index(users, i));
		pg_transport_send(transport, probe);
		xmpp_stanza_release(probe);
	}
}

static void
pg_session_connected_cb(PgTransport *transport, gboolean connected, gpointer user_data)
{
	g_debug("%s: component %s", pg_transport_get_jid(transport),
		connected ? "connected" : "disconnected");
	/* the legacy side stayed connected all along; the XMPP side gets what
	 * was kept meanwhile (pg-sms.h) and learns again who is online */
	if (connected) {
		pg_sms_deliver_kept(((PgSessionManager *)user_data)->sms, transport);
		pg_session_probe_users(transport);
		pg_session_audit_start(((PgSessionManager *)user_data)->audit, transport);
	} else {
		pg_session_audit_stop(((PgSessionManager *)user_data)->audit, transport);
	}
}

/* Back-pressure: while any component's send queue is past its high
 * watermark, no worker is read (pg-supervisor.c says why all of them). */
static void
pg_session_congested_cb(PgTransport *transport, gboolean congested, gpointer user_data)
{
	PgSessionManager *self = user_data;
	gboolean any = FALSE;

	for (guint i = 0; i < self->transports->len && !any; i++)
		any = pg_transport_is_congested(g_ptr_array_index(self->transports, i));
	pg_supervisor_set_reading(self->supervisor, !any);
}

static const PgTransportDelegate pg_session_delegate = {
    .stanza = pg_session_stanza_cb,
    .unregistered = pg_session_unregistered_cb,
    .connected = pg_session_connected_cb,
    .congested = pg_session_congested_cb,
};

/* ---------------------------------------------------------------- events from workers */

/* The room an event names (rooms are keyed by their lower-case name). */
static PgRoom *
pg_link_find_room(PgLink *link, const gchar *name)
{
	g_autofree gchar *key = g_utf8_strdown(name, -1);
	return g_hash_table_lookup(link->rooms, key);
}

static PgRoom *
pg_link_event_room(PgLink *link, const PgIpcMessage *msg)
{
	return pg_link_find_room(link, pg_ipc_message_get_string(msg, "room"));
}

/* One field of a worker event, for pg_session_event_read(). */
typedef struct {
	const gchar *name;   /* in */
	const gchar *string; /* out, for an "s" field: points into the message */
	gboolean boolean;    /* out, for a "b" field */
} PgEventField;

/* Read several fields of @msg in one pass over its a{sv}.
 *
 * WHY: pg_ipc_message_get_string() is g_variant_lookup(), a linear scan
 * that makes a GVariant for every entry (and its key) it passes over; a
 * room-message asked for five fields that way, so at N=100 users in one
 * channel those lookups were 34 % of the daemon's CPU (perf, irc_bench.py).
 * One pass makes one GVariant per entry and key instead.  The strings point
 * into the message's own storage (as "&s" from the getters does), so they
 * live as long as @msg.  The message was validated against its kind's
 * field list on receipt; a field of another type is left unset. */
static void
pg_session_event_read(const PgIpcMessage *msg, PgEventField *fields, guint n_fields)
{
	gsize n_children = g_variant_n_children(msg->fields);

	for (gsize i = 0; i < n_children; i++) {
		g_autoptr(GVariant) entry = g_variant_get_child_value(msg->fields, i);
		g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
		const gchar *name = g_variant_get_string(key, NULL);

		for (guint f = 0; f < n_fields; f++) {
			g_autoptr(GVariant) boxed = NULL;
			g_autoptr(GVariant) value = NULL;

			if (strcmp(fields[f].name, name) != 0)
				continue;
			boxed = g_variant_get_child_value(entry, 1);
			value = g_variant_get_variant(boxed);
			if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
				fields[f].string = g_variant_get_string(value, NULL);
			else if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
				fields[f].boolean = g_variant_get_boolean(value);
			break;
		}
	}
}

static void
pg_link_on_connected(PgLink *link)
{
	PgSession *session = link->session;
	GHashTableIter iter;
	gpointer value;
	g_autoptr(GError) error = NULL;
	GQueue waiting = G_QUEUE_INIT;

	/* a retry may be pending when the connection came up anyway (prpl-irc
	 * can finish registering after a SASL refusal it reported) */
	g_clear_handle_id(&link->retry_id, g_source_remove);
	link->state = PG_LINK_CONNECTED;
	g_clear_handle_id(&link->login_timeout_id, g_source_remove);
	pg_link_queue_on_connected(link);
	link->backoff_s = PG_LINK_BACKOFF_MIN_S;
	g_clear_pointer(&link->last_error, g_free);
	g_info("%s: connected", link->account);
	/* rooms the user is in (a rejoin after a drop, or joins made while connecting) */
	g_hash_table_iter_init(&iter, link->rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgRoom *room = value;
		gboolean queued = FALSE;
		for (GList *l = link->pending->head; l != NULL; l = l->next) {
			PgIpcMessage *msg = l->data;
			if (msg->kind == PG_IPC_CMD_JOIN_ROOM &&
			    g_strcmp0(pg_ipc_message_get_string(msg, "room"), room->name) == 0)
				queued = TRUE;
		}
		if (queued)
			continue;
		room->joined = FALSE;
		pg_link_command(link,
				pg_ipc_message_new(PG_IPC_CMD_JOIN_ROOM, 0, "account",
						   g_variant_new_string(link->account), "room",
						   g_variant_new_string(room->name), "nick",
						   g_variant_new_string(room->nick), NULL),
				NULL);
	}
	while (!g_queue_is_empty(link->pending)) {
		g_autoptr(PgIpcMessage) msg = g_queue_pop_head(link->pending);
		xmpp_stanza_t *origin;

		/* lines for the rooms being rejoined wait for them */
		if (pg_link_queue_waits_for_room(link, msg)) {
			g_queue_push_tail(&waiting, g_steal_pointer(&msg));
			continue;
		}
		origin = pg_link_queue_steal_origin(link, msg);
		/* its answer, an error included, finds the stanza by request id */
		if (!pg_supervisor_send(session->manager->supervisor, link->account, msg, &error)) {
			g_warning("%s: %s", link->account, error->message);
			if (origin != NULL)
				pg_transport_reply_error(session->transport, origin, error);
			g_clear_error(&error);
		} else if (origin != NULL) {
			pg_session_remember(session, msg->id, origin);
			pg_link_queue_sent(link, msg, origin);
		}
		if (origin != NULL)
			xmpp_stanza_release(origin);
	}
	while (!g_queue_is_empty(&waiting))
		g_queue_push_tail(link->pending, g_queue_pop_head(&waiting));
	pg_session_update_status(session, NULL);
}

/* The legacy connection is gone; rooms stay joined on the XMPP side and are
 * rejoined after the reconnect, unless @fatal. */
static void
pg_link_on_disconnected(PgLink *link, const gchar *reason, gboolean fatal)
{
	PgSession *session = link->session;
	const gchar *what = link->server[0] != '\0' ? link->server : "the legacy network";
	GHashTableIter iter;
	gpointer value;
	gboolean was_connected = link->state == PG_LINK_CONNECTED;

	g_clear_handle_id(&link->login_timeout_id, g_source_remove);
	pg_prompts_forget_link(link); /* they were about this connection */

	/* the network says whether it is worth another try (e.g. a refusal of
	 * our credentials is not), or a try with another login (IRC: no SASL) */
	switch (pg_session_network(session->transport)
		    ->classify_disconnect(&link->network_flags, reason, fatal, was_connected)) {
	case PG_NETWORK_RETRY_CHANGED:
		g_message("%s: retrying with another login (%s)", link->account,
			  reason != NULL ? reason : "connection lost");
		/* not at once: libpurple finishes the failed connection only after
		 * its error callback, so the worker still holds the account */
		pg_link_schedule_retry(link);
		return;
	case PG_NETWORK_FINAL:
		fatal = TRUE;
		break;
	case PG_NETWORK_RETRY:
	default:
		break;
	}
	g_free(link->last_error);
	link->last_error = g_strdup(reason != NULL ? reason : "connection lost");
	/* "Disconnected.\nERROR :Server going down": one line for a notice */
	g_strdelimit(link->last_error, "\r\n", ' ');
	g_message("%s: disconnected: %s%s", link->account, link->last_error,
		  fatal ? " (not retried)" : "");
	pg_sms_on_link_down(session->manager->sms, link);
	/* what the worker had and maybe never wrote (pg-link-queue.h) */
	if (was_connected)
		pg_link_queue_fail_in_flight(link, link->last_error);
	/* a link that never came up gives up after a few tries (pg-link-queue.h) */
	if (!fatal && !was_connected && pg_link_queue_give_up_if_due(link, link->last_error))
		return;
	if (fatal) {
		link->state = PG_LINK_FAILED;
		pg_link_queue_fail_all(link, PG_ERROR_SERVICE_UNAVAILABLE, link->last_error);
		pg_session_notice(session, "Cannot connect to %s: %s. Fix the registration and "
					   "rejoin.",
				  what, link->last_error);
		g_hash_table_iter_init(&iter, link->rooms);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			pg_room_send_self_unavailable_all(session, value, PG_MUC_STATUS_SHUTDOWN,
							  link->last_error);
			g_hash_table_iter_remove(&iter);
		}
		return;
	}
	/* others leave the XMPP rooms until we are back; the user stays */
	g_hash_table_iter_init(&iter, link->rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgRoom *room = value;
		GHashTableIter occupants;
		gpointer nick;
		GHashTableIter resources;
		gpointer to;
		g_autofree gchar *notice = g_strdup_printf(
		    "Connection to %s lost (%s); reconnecting and rejoining.", what,
		    link->last_error);

		if (!room->joined)
			continue;
		g_hash_table_iter_init(&occupants, room->occupants);
		while (g_hash_table_iter_next(&occupants, &nick, NULL)) {
			if (g_strcmp0(nick, room->nick) != 0)
				pg_room_broadcast_occupant(session, room, nick, NULL, "unavailable",
							   NULL, NULL, NULL);
		}
		g_hash_table_iter_init(&resources, room->resources);
		while (g_hash_table_iter_next(&resources, &to, NULL))
			pg_session_send(session, pg_muc_message(pg_session_ctx(session), room->jid,
								NULL, to, notice, NULL));
		g_hash_table_remove_all(room->occupants);
		room->joined = FALSE;
	}
	if (was_connected || g_hash_table_size(link->rooms) == 0)
		pg_session_notice(session, "Disconnected from %s: %s. Reconnecting.", what,
				  link->last_error);
	pg_link_schedule_retry(link);
}

static void
pg_link_on_room_joined(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	const gchar *name = pg_ipc_message_get_string(msg, "room");
	g_autofree gchar *key = g_utf8_strdown(name, -1);
	PgRoom *room = g_hash_table_lookup(link->rooms, key);
	g_autoptr(GVariant) occupants = pg_ipc_message_get_value(msg, "occupants");
	const gchar *subject = pg_ipc_message_get_string(msg, "subject");
	GVariantIter iter;
	const gchar *nick;
	const gchar *flags;
	g_autofree gchar *requested = NULL;
	GHashTableIter resources;
	gpointer to;

	if (room == NULL) {
		/* joined without the user asking (e.g. a forced join): leave it be */
		g_debug("%s: joined %s, which no resource asked for", link->account, name);
		return;
	}
	requested = g_strdup(room->nick);
	g_free(room->nick);
	room->nick = g_strdup(pg_ipc_message_get_string(msg, "nick"));
	g_free(room->subject);
	room->subject = g_strdup(subject);
	g_hash_table_remove_all(room->occupants);
	g_variant_iter_init(&iter, occupants);
	while (g_variant_iter_next(&iter, "(&s&s)", &nick, &flags))
		g_hash_table_insert(room->occupants, g_strdup(nick), g_strdup(flags));
	if (!g_hash_table_contains(room->occupants, room->nick))
		g_hash_table_insert(room->occupants, g_strdup(room->nick), g_strdup(""));
	room->joined = TRUE;
	g_hash_table_iter_init(&resources, room->resources);
	while (g_hash_table_iter_next(&resources, &to, NULL))
		pg_room_send_state(session, room, to, requested);
	/* what the user wrote while the room was being (re)joined */
	pg_link_queue_flush_room(link, room->name);
}

static void
pg_link_on_room_occupant(PgLink *link, const PgIpcMessage *msg)
{
	enum { ROOM, NICK, CHANGE, NEW_NICK, REASON };
	PgEventField fields[] = {
	    [ROOM] = {.name = "room"},
	    [NICK] = {.name = "nick"},
	    [CHANGE] = {.name = "change"},
	    [NEW_NICK] = {.name = "new_nick"},
	    [REASON] = {.name = "reason"},
	};
	PgSession *session = link->session;
	PgRoom *room;
	const gchar *nick;
	const gchar *change;
	const gchar *new_nick;
	const gchar *reason;
	gboolean self;
	g_autofree gchar *flags = NULL;

	/* a join storm of N users is N^2 / 2 of these */
	pg_session_event_read(msg, fields, G_N_ELEMENTS(fields));
	room = fields[ROOM].string != NULL ? pg_link_find_room(link, fields[ROOM].string) : NULL;
	nick = fields[NICK].string;
	change = fields[CHANGE].string;
	new_nick = fields[NEW_NICK].string;
	reason = fields[REASON].string;
	self = room != NULL && g_strcmp0(nick, room->nick) == 0;
	if (room == NULL || !room->joined)
		return;
	flags = g_strdup(g_hash_table_lookup(room->occupants, nick));
	if (g_strcmp0(change, "join") == 0) {
		g_hash_table_insert(room->occupants, g_strdup(nick), g_strdup(""));
		pg_room_broadcast_occupant(session, room, nick, "", NULL, NULL, NULL, NULL);
	} else if (g_strcmp0(change, "nick") == 0 && new_nick != NULL) {
		/* XEP-0045 §7.6: unavailable with 303 and the new nick, then available */
		gint statuses[3] = {PG_MUC_STATUS_NICK_CHANGED, self ? PG_MUC_STATUS_SELF : 0, 0};
		gint self_statuses[2] = {self ? PG_MUC_STATUS_SELF : 0, 0};
		pg_room_broadcast_occupant(session, room, nick, flags, "unavailable", statuses,
					   new_nick, NULL);
		g_hash_table_remove(room->occupants, nick);
		g_hash_table_insert(room->occupants, g_strdup(new_nick),
				    g_strdup(flags != NULL ? flags : ""));
		if (self) {
			g_free(room->nick);
			room->nick = g_strdup(new_nick);
		}
		pg_room_broadcast_occupant(session, room, new_nick, flags, NULL, self_statuses,
					   NULL, NULL);
	} else if (g_strcmp0(change, "kick") == 0) {
		/* XEP-0045 §8.2: role none, status 307 (+110 for ourselves) */
		gint statuses[3] = {PG_MUC_STATUS_KICKED, self ? PG_MUC_STATUS_SELF : 0, 0};
		pg_room_broadcast_occupant(session, room, nick, flags, "unavailable", statuses,
					   NULL, reason);
		g_hash_table_remove(room->occupants, nick);
		if (self) {
			g_autofree gchar *key = g_utf8_strdown(room->name, -1);
			g_hash_table_remove(link->rooms, key); /* frees room */
		}
	} else {
		/* part, quit */
		pg_room_broadcast_occupant(session, room, nick, flags, "unavailable", NULL, NULL,
					   reason);
		g_hash_table_remove(room->occupants, nick);
	}
}

static void
pg_link_on_room_message(PgLink *link, const PgIpcMessage *msg)
{
	enum { ROOM, FROM, BODY, OWN };
	PgEventField fields[] = {
	    [ROOM] = {.name = "room"},
	    [FROM] = {.name = "from"},
	    [BODY] = {.name = "body"},
	    [OWN] = {.name = "own"},
	};
	PgSession *session = link->session;
	PgRoom *room;
	g_autofree gchar *id = NULL;
	const gchar *from;
	GHashTableIter iter;
	gpointer to;

	/* the hottest event: one line in a channel is one of these per user */
	pg_session_event_read(msg, fields, G_N_ELEMENTS(fields));
	room = fields[ROOM].string != NULL ? pg_link_find_room(link, fields[ROOM].string) : NULL;
	if (room == NULL)
		return;
	from = fields[FROM].string;
	if (fields[OWN].boolean) {
		pg_link_queue_echoed(link, room->name);
		id = g_queue_pop_head(room->echo_ids);
		from = room->nick;
	}
	g_hash_table_iter_init(&iter, room->resources);
	while (g_hash_table_iter_next(&iter, &to, NULL))
		pg_session_send(session, pg_muc_message(pg_session_ctx(session), room->jid, from,
							to, fields[BODY].string,
							id != NULL && id[0] != '\0' ? id : NULL));
}

static void
pg_link_on_room_subject(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	PgRoom *room = pg_link_event_room(link, msg);
	GHashTableIter iter;
	gpointer to;

	if (room == NULL)
		return;
	g_free(room->subject);
	room->subject = g_strdup(pg_ipc_message_get_string(msg, "subject"));
	if (!room->joined)
		return;
	g_hash_table_iter_init(&iter, room->resources);
	while (g_hash_table_iter_next(&iter, &to, NULL))
		pg_session_send(session,
				pg_muc_subject(pg_session_ctx(session), room->jid,
					       pg_ipc_message_get_string(msg, "by"), to,
					       room->subject));
}

static void
pg_link_on_im(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	g_autofree gchar *from = NULL;
	xmpp_stanza_t *message;

	/* an SMS that arrives while the XMPP server is away is kept (pg-sms.h) */
	if (pg_sms_keep_im(session->manager->sms, link, pg_ipc_message_get_string(msg, "from"),
			   pg_ipc_message_get_string(msg, "body")))
		return;
	from = pg_session_contact_jid(link, pg_ipc_message_get_string(msg, "from"));
	message = xmpp_message_new(pg_session_ctx(session), "chat", session->user_jid, NULL);
	pg_stanza_set_from(message, from);
	pg_stanza_set_body(message, pg_ipc_message_get_string(msg, "body"));
	pg_stanza_add_child(message, "active", PG_NS_CHATSTATES);
	pg_session_send(session, message);
}

static void
pg_link_on_typing(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	g_autofree gchar *from = pg_session_contact_jid(link, pg_ipc_message_get_string(msg, "from"));
	const gchar *state = pg_ipc_message_get_string(msg, "state");
	xmpp_stanza_t *message =
	    xmpp_message_new(pg_session_ctx(session), "chat", session->user_jid, NULL);

	/* the worker names XEP-0085 §5 chat states (pg-ipc-message.h) */
	pg_stanza_set_from(message, from);
	pg_stanza_add_child(message,
			    g_strv_contains((const gchar *const[]){"composing", "paused", "active",
								   "inactive", "gone", NULL},
					    state)
				? state
				: "active",
			    PG_NS_CHATSTATES);
	pg_session_send(session, message);
}

static void
pg_link_on_buddy_presence(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	g_autofree gchar *from = pg_session_contact_jid(link, pg_ipc_message_get_string(msg, "who"));
	const gchar *status = pg_ipc_message_get_string(msg, "status");
	const gchar *text = pg_ipc_message_get_string(msg, "message");
	xmpp_stanza_t *presence = xmpp_presence_new(pg_session_ctx(session));

	pg_stanza_set_from(presence, from);
	xmpp_stanza_set_to(presence, session->user_jid);
	if (g_strcmp0(status, "offline") == 0) {
		xmpp_stanza_set_type(presence, "unavailable");
		g_hash_table_remove(link->online, from);
	} else {
		g_hash_table_add(link->online, g_strdup(from));
		/* RFC 6121 §4.7.2.1: <show/> is one of four words */
		if (g_strv_contains((const gchar *const[]){"away", "chat", "dnd", "xa", NULL},
				    status != NULL ? status : ""))
			pg_stanza_add_text_child(presence, "show", status);
	}
	if (text != NULL && text[0] != '\0')
		pg_stanza_add_text_child(presence, "status", text);
	pg_session_send(session, presence);
}

/* The join presence @origin was refused: its resource is not in the room,
 * and a room nobody joined goes. */
static void
pg_link_forget_join(PgLink *link, xmpp_stanza_t *origin)
{
	g_autoptr(PgJid) to = pg_jid_parse(xmpp_stanza_get_to(origin), NULL);
	g_autoptr(PgNetworkAddress) address =
	    to != NULL && to->local != NULL
		? pg_session_parse_address(link->session->transport, to, NULL)
		: NULL;
	g_autofree gchar *key = NULL;
	PgRoom *room;

	if (address == NULL || !address->is_room)
		return;
	key = g_utf8_strdown(address->name, -1);
	room = g_hash_table_lookup(link->rooms, key);
	if (room == NULL || room->joined)
		return;
	g_hash_table_remove(room->resources, xmpp_stanza_get_from(origin));
	if (g_hash_table_size(room->resources) == 0) {
		pg_link_queue_fail_room(link, room->name, PG_ERROR_SERVICE_UNAVAILABLE,
					"the room refused the join");
		g_hash_table_remove(link->rooms, key);
	}
}

static void
pg_link_on_error(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	const gchar *condition = pg_ipc_message_get_string(msg, "condition");
	const gchar *text = pg_ipc_message_get_string(msg, "text");
	xmpp_stanza_t *origin =
	    pg_session_recall(session, pg_ipc_message_get_uint32(msg, "request", 0));

	pg_link_queue_answered(link, pg_ipc_message_get_uint32(msg, "request", 0));
	/* while a link connects, its commands wait here: an error for it is
	 * about the login itself (e.g. an unknown protocol), which will not get
	 * better by retrying */
	if (link->state == PG_LINK_CONNECTING) {
		pg_supervisor_login_done(session->manager->supervisor, link->account);
		pg_link_on_disconnected(link, text, TRUE);
		return;
	}
	if (origin != NULL) {
		/* RFC 6120 §8.3.3: these three are of type auth, the rest cancel */
		const gchar *type = g_strcmp0(condition, "forbidden") == 0 ||
					    g_strcmp0(condition, "not-authorized") == 0 ||
					    g_strcmp0(condition, "registration-required") == 0
					? "auth"
					: "cancel";
		xmpp_stanza_t *reply = pg_stanza_reply_error(origin, type, condition, text);
		pg_link_queue_forget_echo(link, origin);
		if (reply != NULL)
			pg_session_send(session, reply);
		/* XEP-0045 §7.2: a refused join leaves no room behind */
		if (g_strcmp0(xmpp_stanza_get_name(origin), "presence") == 0)
			pg_link_forget_join(link, origin);
		return;
	}
	pg_session_notice(session, "%s", text != NULL ? text : "error on the legacy network");
}

static void
pg_session_event_cb(PgSupervisor *supervisor, const PgIpcMessage *msg, gpointer user_data)
{
	PgSessionManager *self = user_data;
	const gchar *account = pg_ipc_message_get_string(msg, "account");
	PgLink *link = account != NULL ? g_hash_table_lookup(self->links, account) : NULL;

	if (link == NULL) {
		if (msg->kind != PG_IPC_EVT_STATS)
			g_debug("event %s for an account with no session",
				pg_ipc_kind_to_string(msg->kind));
		return;
	}
	switch (msg->kind) {
	case PG_IPC_EVT_LOGIN_STATE: {
		const gchar *state = pg_ipc_message_get_string(msg, "state");
		if (g_strcmp0(state, "connecting") == 0)
			return;
		pg_supervisor_login_done(supervisor, account);
		if (g_strcmp0(state, "connected") == 0)
			pg_link_on_connected(link);
		else
			pg_link_on_disconnected(link, pg_ipc_message_get_string(msg, "reason"),
						pg_ipc_message_get_boolean(msg, "fatal", FALSE));
		return;
	}
	case PG_IPC_EVT_ROOM_JOINED:
		pg_link_on_room_joined(link, msg);
		return;
	case PG_IPC_EVT_ROOM_OCCUPANT:
		pg_link_on_room_occupant(link, msg);
		return;
	case PG_IPC_EVT_ROOM_MESSAGE:
		pg_link_on_room_message(link, msg);
		return;
	case PG_IPC_EVT_ROOM_SUBJECT:
		pg_link_on_room_subject(link, msg);
		return;
	case PG_IPC_EVT_ROOM_LEFT: {
		PgRoom *room = pg_link_event_room(link, msg);
		if (room != NULL)
			pg_link_drop_room(link, room, 0, pg_ipc_message_get_string(msg, "reason"));
		return;
	}
	case PG_IPC_EVT_IM_RECEIVED:
		pg_link_on_im(link, msg);
		return;
	case PG_IPC_EVT_TYPING:
		pg_link_on_typing(link, msg);
		return;
	case PG_IPC_EVT_BUDDY_PRESENCE:
		pg_link_on_buddy_presence(link, msg);
		return;
	case PG_IPC_EVT_ERROR:
		pg_link_on_error(link, msg);
		return;
	case PG_IPC_EVT_SMS_SENT:
		pg_sms_on_sent(self->sms, link, msg);
		return;
	case PG_IPC_EVT_REQUEST:
		pg_prompts_on_request(link, msg);
		return;
	case PG_IPC_EVT_ACCOUNT_STATE:
		pg_account_state_on_event(link, msg);
		return;
	default:
		return;
	}
}

static void
pg_session_account_lost_cb(PgSupervisor *supervisor, const gchar *account, const gchar *reason,
			   gpointer user_data)
{
	PgSessionManager *self = user_data;
	PgLink *link = g_hash_table_lookup(self->links, account);
	g_autofree gchar *why = NULL;

	if (link == NULL)
		return;
	why = g_strdup_printf("the gateway's worker process stopped (%s)", reason);
	pg_link_on_disconnected(link, why, FALSE);
}

static const PgSupervisorCallbacks pg_session_supervisor_callbacks = {
    .event = pg_session_event_cb,
    .account_lost = pg_session_account_lost_cb,
};

/* ---------------------------------------------------------------- ad-hoc commands */

static const gchar *
pg_link_state_to_string(PgLinkState state)
{
	switch (state) {
	case PG_LINK_CONNECTING:
		return "connecting";
	case PG_LINK_CONNECTED:
		return "connected";
	case PG_LINK_WAITING:
		return "waiting to reconnect";
	case PG_LINK_FAILED:
		return "failed";
	case PG_LINK_OFFLINE:
	default:
		return "offline";
	}
}

static gchar *
pg_session_command_reconnect_cb(PgTransport *transport, const gchar *user_jid,
				GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSessionManager *self = user_data;
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	if (session == NULL || g_hash_table_size(session->links) == 0)
		return g_strdup("You have no connection on this gateway; go online first.");
	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgLink *link = value;
		pg_supervisor_logout(self->supervisor, link->account);
		link->backoff_s = PG_LINK_BACKOFF_MIN_S;
		pg_link_connect(link);
		n++;
	}
	return g_strdup_printf("Reconnecting %u connection(s); your rooms will be rejoined.", n);
}

static gchar *
pg_session_command_leave_all_cb(PgTransport *transport, const gchar *user_jid,
				GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSessionManager *self = user_data;
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	GHashTableIter links;
	gpointer value;
	guint n = 0;

	if (session == NULL)
		return g_strdup("You are in no room.");
	g_hash_table_iter_init(&links, session->links);
	while (g_hash_table_iter_next(&links, NULL, &value)) {
		PgLink *link = value;
		GHashTableIter rooms;
		gpointer room;
		g_hash_table_iter_init(&rooms, link->rooms);
		while (g_hash_table_iter_next(&rooms, NULL, &room)) {
			pg_room_send_self_unavailable_all(session, room, 0, NULL);
			if (link->state == PG_LINK_CONNECTED)
				pg_link_command(
				    link,
				    pg_ipc_message_new(PG_IPC_CMD_LEAVE_ROOM, 0, "account",
						       g_variant_new_string(link->account), "room",
						       g_variant_new_string(((PgRoom *)room)->name),
						       NULL),
				    NULL);
			g_hash_table_iter_remove(&rooms);
			n++;
		}
	}
	return g_strdup_printf("Left %u room(s).", n);
}

static gchar *
pg_session_command_online_users_cb(PgTransport *transport, const gchar *user_jid,
				   GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSessionManager *self = user_data;
	GString *text = g_string_new(NULL);
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->sessions);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgSession *session = value;
		GHashTableIter links;
		gpointer link;
		if (session->transport != transport)
			continue;
		n++;
		g_string_append_printf(text, "\n%s (%u resource(s))", session->user_jid,
				       g_hash_table_size(session->resources));
		g_hash_table_iter_init(&links, session->links);
		while (g_hash_table_iter_next(&links, NULL, &link))
			g_string_append_printf(text, " %s: %s, %u room(s);",
					       ((PgLink *)link)->server[0] != '\0'
						   ? ((PgLink *)link)->server
						   : "legacy",
					       pg_link_state_to_string(((PgLink *)link)->state),
					       g_hash_table_size(((PgLink *)link)->rooms));
	}
	g_string_prepend(text, "");
	{
		g_autofree gchar *head = g_strdup_printf("%u user(s) online", n);
		g_string_prepend(text, head);
	}
	return g_string_free(text, FALSE);
}

static gchar *
pg_session_command_worker_stats_cb(PgTransport *transport, const gchar *user_jid,
				   GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSessionManager *self = user_data;
	g_autoptr(GPtrArray) lines = pg_supervisor_describe_workers(self->supervisor);
	GString *text = g_string_new(NULL);

	g_string_append_printf(text, "%u worker process(es), %u session(s)", lines->len,
			       g_hash_table_size(self->sessions));
	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(text, "\n%s", (const gchar *)g_ptr_array_index(lines, i));
	return g_string_free(text, FALSE);
}

static const PgAdhocCommand pg_session_commands[] = {
    {.node = "reconnect", .name = "Reconnect to the legacy network",
     .execute = pg_session_command_reconnect_cb},
    {.node = "leave-all-rooms", .name = "Leave all rooms",
     .execute = pg_session_command_leave_all_cb},
    {.node = "answer-question", .name = "Answer the legacy network's question",
     .form = pg_prompts_command_form_cb, .execute = pg_prompts_command_answer_cb},
    {.node = "online-users", .name = "Online users", .admin_only = TRUE,
     .execute = pg_session_command_online_users_cb},
    {.node = "worker-stats", .name = "Worker processes", .admin_only = TRUE,
     .execute = pg_session_command_worker_stats_cb},
};

/* ---------------------------------------------------------------- manager */

PgSessionManager *
pg_session_manager_new(const PgConfig *config, const gchar *worker_path)
{
	PgSessionManager *self = g_new0(PgSessionManager, 1);
	self->config = config;
	self->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)pg_session_free);
	self->links = g_hash_table_new(g_str_hash, g_str_equal);
	self->transports = g_ptr_array_new();
	self->audit = pg_session_audit_new(self, config->probe_timeout);
	self->limits = pg_limits_new(config);
	self->irc_gate =
	    pg_irc_gate_new(pg_session_irc_redispatch_cb, pg_session_irc_ready_cb, self);
	self->supervisor =
	    pg_supervisor_new(worker_path, config->users_per_worker, config->max_concurrent_logins,
			      &pg_session_supervisor_callbacks, self);
	return self;
}

void
pg_session_manager_add_transport(PgSessionManager *self, PgTransport *transport)
{
	g_ptr_array_add(self->transports, transport);
	pg_transport_set_delegate(transport, &pg_session_delegate, self);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_session_commands); i++)
		pg_transport_add_command(transport, &pg_session_commands[i], self);
}

gboolean
pg_session_manager_start(PgSessionManager *self, GError **error)
{
	g_autofree gchar *worker_dirs = pg_worker_dirs_base_for(self->config->database);

	if (!pg_supervisor_set_worker_sandbox(self->supervisor, self->config->worker_sandbox,
					      worker_dirs, error))
		return FALSE;
	self->sms = pg_sms_new(self, error);
	return self->sms != NULL;
}

gchar *
pg_session_manager_metrics(PgSessionManager *self)
{
	GString *text = g_string_new(NULL);
	GHashTableIter iter;
	gpointer value;
	guint links[PG_LINK_FAILED + 1] = {0};
	g_autoptr(GPtrArray) workers = pg_supervisor_describe_workers(self->supervisor);

	g_hash_table_iter_init(&iter, self->links);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		links[((PgLink *)value)->state]++;
	g_string_append(text, "# HELP polygate_sessions Sessions (user x transport) in memory.\n"
			      "# TYPE polygate_sessions gauge\n");
	g_string_append_printf(text, "polygate_sessions %u\n", g_hash_table_size(self->sessions));
	g_string_append(text, "# HELP polygate_links Legacy connections by state.\n"
			      "# TYPE polygate_links gauge\n");
	for (guint state = PG_LINK_OFFLINE; state <= PG_LINK_FAILED; state++)
		g_string_append_printf(text, "polygate_links{state=\"%s\"} %u\n",
				       pg_link_state_to_string(state), links[state]);
	g_string_append(text, "# HELP polygate_logins Legacy logins sent to a worker and not "
			      "answered yet (in_flight, at most max_concurrent_logins), and "
			      "logins waiting for a slot (queued).\n"
			      "# TYPE polygate_logins gauge\n");
	g_string_append_printf(text, "polygate_logins{state=\"in_flight\"} %u\n",
			       pg_supervisor_get_n_logins_in_flight(self->supervisor));
	g_string_append_printf(text, "polygate_logins{state=\"queued\"} %u\n",
			       pg_supervisor_get_n_logins_queued(self->supervisor));
	g_string_append(text, "# HELP polygate_workers Worker processes running.\n"
			      "# TYPE polygate_workers gauge\n");
	g_string_append_printf(text, "polygate_workers %u\n", workers->len);
	g_string_append(text, "# HELP polygate_worker_rss_kib_total Resident memory of all "
			      "workers.\n# TYPE polygate_worker_rss_kib_total gauge\n");
	g_string_append_printf(text, "polygate_worker_rss_kib_total %" G_GUINT64_FORMAT "\n",
			       pg_supervisor_get_total_rss_kib(self->supervisor));
	pg_limits_append_metrics(self->limits, text);
	g_string_append(text, "# HELP polygate_worker_sandbox_abi Landlock ABI version of the "
			      "workers' sandbox; 0: they run unconfined.\n"
			      "# TYPE polygate_worker_sandbox_abi gauge\n");
	g_string_append_printf(text, "polygate_worker_sandbox_abi %d\n",
			       pg_supervisor_get_sandbox_abi(self->supervisor));
	return g_string_free(text, FALSE);
}

/* The gateway stops: the user's client must not keep showing what it can
 * no longer reach.  Every room the user is in says it removed them because
 * the service shuts down (XEP-0045 status 332), every legacy contact shown
 * online goes offline and so does the transport (XEP-0100 §4.5.1, as on
 * logging out). */
/* Unavailable presence from @from (a contact or the transport) to the user. */
static void
pg_session_send_unavailable(PgSession *session, const gchar *from)
{
	xmpp_stanza_t *presence = xmpp_presence_new(pg_session_ctx(session));

	xmpp_stanza_set_type(presence, "unavailable");
	pg_stanza_set_from(presence, from);
	xmpp_stanza_set_to(presence, session->user_jid);
	pg_session_send(session, presence);
}

static void
pg_session_say_goodbye(PgSession *session)
{
	GHashTableIter links;
	gpointer value;

	if (g_hash_table_size(session->resources) == 0)
		return;
	g_hash_table_iter_init(&links, session->links);
	while (g_hash_table_iter_next(&links, NULL, &value)) {
		PgLink *link = value;
		GHashTableIter iter;
		gpointer key;

		g_hash_table_iter_init(&iter, link->rooms);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			pg_room_send_self_unavailable_all(session, value, PG_MUC_STATUS_SHUTDOWN,
							  "The gateway is shutting down");
		g_hash_table_iter_init(&iter, link->online);
		while (g_hash_table_iter_next(&iter, &key, NULL))
			pg_session_send_unavailable(session, key);
		g_hash_table_remove_all(link->online);
	}
	pg_session_send_unavailable(session, pg_transport_get_jid(session->transport));
}

void
pg_session_manager_free(PgSessionManager *self)
{
	static const PgTransportDelegate none = {.stanza = NULL};

	if (self == NULL)
		return;
	/* texts handed to the SMS gateway get their answers first, while the
	 * workers and the transports still run (pg_sms_drain() says why) */
	pg_sms_drain(self->sms, PG_SESSION_SMS_DRAIN_MS);
	{
		GHashTableIter iter;
		gpointer session;
		g_hash_table_iter_init(&iter, self->sessions);
		while (g_hash_table_iter_next(&iter, NULL, &session))
			pg_session_say_goodbye(session);
	}
	/* the transports outlive us and still parse what arrives while they close */
	for (guint i = 0; i < self->transports->len; i++) {
		PgTransport *transport = g_ptr_array_index(self->transports, i);
		pg_transport_set_delegate(transport, &none, NULL);
		for (gsize j = 0; j < G_N_ELEMENTS(pg_session_commands); j++)
			pg_transport_remove_command(transport, pg_session_commands[j].node);
	}
	g_clear_pointer(&self->sms, pg_sms_free);
	g_clear_pointer(&self->audit, pg_session_audit_free);
	g_clear_pointer(&self->irc_gate, pg_irc_gate_free);
	g_hash_table_remove_all(self->sessions);
	pg_supervisor_free(self->supervisor);
	g_hash_table_unref(self->sessions);
	g_hash_table_unref(self->links);
	g_ptr_array_unref(self->transports);
	pg_limits_free(self->limits);
	g_free(self);
}

guint
pg_session_manager_get_n_sessions(PgSessionManager *self)
{
	return g_hash_table_size(self->sessions);
}
