/* Sessions: the records and their lifecycle.
 *
 * DESIGN (the layers of src/session/, each calling only those below it)
 *   pg-session-manager.c  every transport's delegate and the supervisor's
 *                         client: dispatches stanzas and worker events
 *   pg-session-commands.c, pg-session-metrics.c   XEP-0050 commands, /metrics
 *   pg-roster-command.c   the user's roster command (mode, re-sync)
 *   pg-sms.c, pg-sms-kept.c   the SMS outbox and Kannel (PG_NETWORK_OUTBOX)
 *   pg-room.c             XEP-0045 rooms: state and rendering, any network
 *   pg-room-archive.c     XEP-0313: the archive of a room, on its JID
 *   pg-room-history.c     what rooms say, archived; history on join;
 *                         rooms kept joined while their user is offline
 *   pg-contacts.c         legacy contacts: messages, typing
 *   pg-roster-ladder.c    the roster ladder: XEP-0356, XEP-0144, subscriptions
 *   pg-roster.c           buddy lists: contacts, their presence
 *   pg-session-audit.c    sessions against the server's truth
 *   pg-link.c             the link state machine; reports upward through
 *                         PgSessionEvents (pg-session-private.h)
 *   pg-limits.c           per-user and gateway-wide limits
 *   pg-session.c          this file: the records
 *   pg-link-queue.c       what waits for a link, and what is in flight
 *   pg-session-requests.c the stanzas behind recent requests, for errors
 * What a network means (addresses, login, verdicts) is its driver's
 * (network/pg-network.h); nothing here knows IRC or SMS.
 *
 * Records
 *   PgSessionManager   one per daemon: the sessions, and every link by its
 *                      account key (for worker events).
 *   PgSession          (user, transport): the user's resources, the links.
 *   PgLink             one legacy connection: its account key in the worker,
 *                      its state, its rooms, what waits for it to connect.
 *   PgRoom             a legacy room as a XEP-0045 room: which of the
 *                      user's resources are in it, its occupants, our nick.
 *
 * Account keys are "user@domain/transport.jid" plus "/server" on a network
 * with servers; the worker knows nothing else of the user.
 *
 * Ownership: the manager owns the sessions; a session owns its links; a
 * link owns its rooms.  Worker events find a link by account key through
 * manager->links (borrowed pointers, removed when the link is freed).
 *
 * INVARIANT: a link is freed only from pg_session_free(), or as an idle
 * link of the session a user's stanza is for (pg_limits_get_link()), never
 * while one of its own events is handled further up the stack; event
 * handlers therefore re-look-up nothing after calling out, and a stanza
 * handler holds no link across a pg_limits_get_link().
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "registry/pg-account.h"
#include "session/pg-link-queue.h"
#include "session/pg-session-private.h"
#include "session/pg-supervisor.h"
#include "stanza/pg-stanza.h"


/* ---------------------------------------------------------------- rooms */

static void
pg_resource_free(PgResource *resource)
{
	g_free(resource->show);
	g_free(resource->status);
	g_free(resource);
}

static void
pg_room_free(PgRoom *room)
{
	g_free(room->name);
	g_free(room->jid);
	g_free(room->nick);
	g_free(room->subject);
	g_free(room->charset);
	g_hash_table_unref(room->resources);
	g_hash_table_unref(room->occupants);
	g_queue_free_full(room->echo_ids, g_free);
	g_clear_pointer(&room->banning, g_hash_table_unref);
	g_clear_pointer(&room->outcasts, g_hash_table_unref);
	if (room->history_wants != NULL)
		g_hash_table_unref(room->history_wants);
	g_free(room);
}

PgRoom *
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

void
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

PgNetworkAddress *
pg_session_parse_address(PgTransport *transport, const PgJid *jid, GError **error)
{
	return pg_session_network(transport)->parse_address(pg_transport_get_config(transport),
							    jid, error);
}

/* ---------------------------------------------------------------- links */

static void
pg_link_free(PgLink *link)
{
	PgSessionManager *manager = link->session->manager;

	g_clear_handle_id(&link->login_timeout_id, g_source_remove);
	g_clear_handle_id(&link->retry_id, g_source_remove);
	g_clear_handle_id(&link->roster_sync_id, g_source_remove);
	if (manager->events != NULL && manager->events->forget != NULL)
		manager->events->forget(link);
	g_hash_table_remove(manager->links, link->account);
	if (pg_supervisor_has_account(manager->supervisor, link->account) ||
	    link->state == PG_LINK_CONNECTING)
		pg_supervisor_logout(manager->supervisor, link->account);
	g_hash_table_unref(link->rooms);
	g_hash_table_unref(link->online);
	if (link->buddies != NULL) /* made by pg-roster.c on first use */
		g_hash_table_unref(link->buddies);
	if (link->avatars != NULL) /* made by pg-contact-avatar.c on first use */
		g_hash_table_unref(link->avatars);
	pg_link_queue_free(link);
	g_queue_free_full(link->pending, (GDestroyNotify)pg_ipc_message_free);
	g_free(link->server);
	g_free(link->account);
	g_free(link->last_error);
	g_free(link->guest_nick);
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
	g_clear_pointer(&session->roster_resources, g_hash_table_unref);
	if (session->roster_pushes != NULL) {
		xmpp_stanza_t *iq;
		while ((iq = g_queue_pop_head(session->roster_pushes)) != NULL)
			xmpp_stanza_release(iq);
		g_queue_free(session->roster_pushes);
	}
	g_free(session->roster_failure);
	g_free(session->user_jid);
	g_free(session);
}

GHashTable *
pg_session_table_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)pg_session_free);
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
	session->resources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						   (GDestroyNotify)pg_resource_free);
	session->links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)pg_link_free);
	session->recent = g_queue_new();
	session->contacts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_insert(self->sessions, pg_session_key(user_jid, transport), session);
	g_message("%s: session of %s started", pg_transport_get_jid(transport), user_jid);
	return session;
}

void
pg_session_end(PgSession *session)
{
	g_autofree gchar *key = pg_session_key(session->user_jid, session->transport);
	g_message("%s: session of %s ended", pg_transport_get_jid(session->transport),
		  session->user_jid);
	g_hash_table_remove(session->manager->sessions, key);
}

/* Whether something other than a resource keeps @session (the outbox). */
static gboolean
pg_session_held(PgSession *session)
{
	const PgSessionEvents *events = session->manager->events;
	return events != NULL && events->holds != NULL && events->holds(session);
}

static gboolean
pg_session_grace_cb(gpointer user_data)
{
	PgSession *session = user_data;
	session->grace_id = 0;
	/* texts still to send keep it (pg-sms.c releases it once they went) */
	if (g_hash_table_size(session->resources) == 0 && !pg_session_held(session))
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

void
pg_session_set_resource(PgSession *session, const gchar *resource, const gchar *show,
			const gchar *status)
{
	PgResource *record = g_new0(PgResource, 1);

	record->show = g_strdup(show != NULL ? show : "");
	record->status = g_strdup(status);
	g_hash_table_insert(session->resources, g_strdup(resource), record);
}

/* XMPP <show/> of the most available resource -> legacy status, and
 * *@message that resource's <status/> (nullable). */
static const gchar *
pg_session_status(PgSession *session, const gchar **message)
{
	static const gchar *const order[] = {"", "chat", "away", "xa", "dnd"};
	GHashTableIter iter;
	gpointer value;
	guint best = G_N_ELEMENTS(order);

	*message = NULL;
	g_hash_table_iter_init(&iter, session->resources);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const PgResource *resource = value;
		for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
			if (g_strcmp0(resource->show, order[i]) == 0 && i < best) {
				best = i;
				*message = resource->status;
			}
		}
	}
	if (best >= G_N_ELEMENTS(order))
		return "offline";
	return best <= 1 ? "available" : order[best];
}

/* Each resource keeps its own <status/>: a link that comes up after the
 * user set "away: out till noon" gets that text too, not a bare "away". */
void
pg_session_update_status(PgSession *session)
{
	GHashTableIter iter;
	gpointer value;
	const gchar *message = NULL;
	const gchar *status = pg_session_status(session, &message);

	/* No available resource: the user went away (the grace timer logs the
	 * session out) or never came (a session that only sends SMS).  libpurple
	 * takes an "offline" status as "disconnect the account", which would
	 * cut an SMS in flight and drop the grace period: keep the status. */
	if (g_strcmp0(status, "offline") == 0)
		return;
	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgLink *link = value;
		g_autoptr(PgIpcMessage) msg = NULL;

		if (link->state != PG_LINK_CONNECTED)
			continue;
		msg = pg_ipc_message_new(PG_IPC_CMD_SET_STATUS, 0, "account",
					 g_variant_new_string(link->account), "status",
					 g_variant_new_string(status), "message",
					 message != NULL ? g_variant_new_string(message) : NULL, NULL);
		/* nothing to answer if it fails: the link's own events tell */
		pg_supervisor_send(session->manager->supervisor, link->account, msg, NULL);
	}
}

gboolean
pg_session_user_registered(PgSessionManager *self, PgTransport *transport, const gchar *user_jid)
{
	return pg_registry_has_account(pg_transport_get_registry(transport),
				       pg_transport_get_jid(transport), user_jid);
}

gboolean
pg_session_user_allowed(PgSessionManager *self, PgTransport *transport, const gchar *user_jid)
{
	return pg_session_network(transport)->guest_account != NULL ||
	       pg_session_user_registered(self, transport, user_jid);
}

/* @resource (a full JID) went unavailable: it leaves every room it was in;
 * the session ends after the grace period if it was the last one. */
void
pg_session_drop_resource(PgSession *session, const gchar *resource)
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
		pg_session_update_status(session);
	}
}

void
pg_session_end_if_idle(PgSession *session)
{
	g_clear_handle_id(&session->grace_id, g_source_remove);
	if (g_hash_table_size(session->resources) == 0 && !pg_session_held(session))
		pg_session_end(session);
	else
		pg_session_release(session);
}
