/* The link state machine (pg-link.h).
 *
 *   OFFLINE --connect--> CONNECTING --connected--> CONNECTED
 *      ^                   |  (login timeout,        |
 *      |                   |   refusal, error)       | lost
 *      |                   v                         v
 *      +------------- WAITING (backoff + jitter) <----+
 *                          |
 *                          +--> FAILED (final verdict, or given up:
 *                               pg-link-queue.h), until the user asks
 *
 * The network driver builds the login and classifies each disconnect
 * (network/pg-network.h).  What a connection means to rooms and to the
 * outbox is decided above: this file reports upward through the manager's
 * PgSessionEvents (connected, down, lost) and calls nothing above it.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "registry/pg-account.h"
#include "session/pg-account-state.h"
#include "session/pg-irc-gate.h"
#include "session/pg-limits.h"
#include "session/pg-link-queue.h"
#include "session/pg-link.h"
#include "session/pg-supervisor.h"

#define PG_LINK_BACKOFF_MAX_S 120
/* Commands kept in pending: a backstop for what max_queued_bytes_per_user
 * does not count (joins and leaves, the gateway's own commands); lines are
 * bounded by that byte budget first (a line costs ~100 bytes and more). */
#define PG_LINK_PENDING_MAX   4096

/* Send @msg (transfer full) now, or keep it until the link is up. */
gboolean
pg_link_command(PgLink *link, PgIpcMessage *msg, xmpp_stanza_t *origin)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgIpcMessage) owned = msg;

	/* a line for a room being rejoined waits for it too, and a line past
	 * the in-flight window (pg-link-queue.h) */
	if (link->state != PG_LINK_CONNECTED || pg_link_queue_must_wait(link, owned)) {
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
		else
			pg_link_queue_release_soon(link);
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
	const PgNetwork *network = pg_session_network(session->transport);
	g_autoptr(PgAccount) account = NULL;
	g_autoptr(GError) unregistered = NULL;
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
					  transport->jid, session->user_jid, &unregistered);
	/* no registration: a guest, where the network allows (pg-network.h) */
	if (account == NULL &&
	    g_error_matches(unregistered, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND) &&
	    network->guest_account != NULL)
		account = network->guest_account(transport, session->user_jid, link->guest_nick);
	if (account == NULL) {
		g_propagate_error(error, g_steal_pointer(&unregistered));
		return NULL;
	}
	login.account = account;
	message = network->build_login(&login, &notice);
	/* what the plugin kept at the last login (pg-account-state.h) */
	message = pg_account_state_attach(message, account);
	if (notice != NULL)
		pg_session_notice(session, "%s", notice);
	return message;
}

/* What a worker may take, on top of link_login_timeout, to start and begin
 * connecting (pg_link_arm_login_timeout). */
#define PG_LINK_WORKER_START_S 20

/* A login with no answer (a server that accepts and never speaks, a worker
 * stuck in a connect) counts as a failed try, so that it is retried with
 * backoff and, if it never worked, given up (pg-link-queue.h). */
static gboolean
pg_link_login_timeout_cb(gpointer user_data)
{
	PgLink *link = user_data;
	guint timeout = pg_transport_get_config(link->session->transport)->link_login_timeout;
	g_autofree gchar *reason =
	    link->login_started
		? g_strdup_printf("no answer from the server within %u s", timeout)
		: g_strdup_printf("the gateway's worker did not start the connection within %u s",
				  timeout + PG_LINK_WORKER_START_S);

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
	if (timeout == 0)
		return;
	/* Until the worker says it is connecting, it may still be starting (a
	 * new process: libpurple, its plugins, the CA index, the sandbox; some
	 * seconds on a loaded host): that time is not the server's.  A worker
	 * that never gets there still ends as a failed try. */
	if (!link->login_started)
		timeout += PG_LINK_WORKER_START_S;
	link->login_timeout_id = g_timeout_add_seconds(timeout, pg_link_login_timeout_cb, link);
}

void
pg_link_on_connecting(PgLink *link)
{
	if (link->state != PG_LINK_CONNECTING || link->login_started)
		return;
	link->login_started = TRUE;
	if (link->login_timeout_id != 0)
		pg_link_arm_login_timeout(link);
}

void
pg_link_connect(PgLink *link)
{
	g_autoptr(GError) error = NULL;
	const PgNetworkTarget *target = NULL;
	PgIpcMessage *login;

	g_clear_handle_id(&link->retry_id, g_source_remove);
	if (pg_network_has(pg_session_network(link->session->transport), PG_NETWORK_SERVERS)) {
		/* resolved and checked first (pg-irc-gate.h); the gate tells
		 * the manager when it knows, which connects again */
		target = pg_irc_gate_lookup(link->session->manager->irc_gate,
					    link->session->transport, link->server, link->account);
		if (target == NULL) {
			link->state = PG_LINK_CONNECTING;
			return;
		}
		/* refused: fatal; not found: a failed try like any other */
		if (!target->allowed) {
			link->state = PG_LINK_CONNECTING;
			pg_link_on_disconnected(
			    link, target->error->message,
			    g_error_matches(target->error, PG_ERROR, PG_ERROR_NOT_ALLOWED));
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
	link->login_started = FALSE;
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

void
pg_link_on_connected(PgLink *link)
{
	PgSession *session = link->session;
	const PgSessionEvents *events = session->manager->events;

	/* a retry may be pending when the connection came up anyway (prpl-irc
	 * can finish registering after a SASL refusal it reported) */
	g_clear_handle_id(&link->retry_id, g_source_remove);
	link->state = PG_LINK_CONNECTED;
	g_clear_handle_id(&link->login_timeout_id, g_source_remove);
	pg_link_queue_on_connected(link);
	link->backoff_s = PG_LINK_BACKOFF_MIN_S;
	g_clear_pointer(&link->last_error, g_free);
	g_info("%s: connected", link->account);
	/* the layers above first: the rooms the user is in are joined again
	 * (a rejoin after a drop, or joins made while connecting), before the
	 * lines that wait for them */
	if (events != NULL && events->connected != NULL)
		events->connected(link);
	/* then what waited, in order, as the in-flight window allows */
	pg_link_queue_release(link);
	pg_session_update_status(session);
}

/* The legacy connection is gone; rooms stay joined on the XMPP side and are
 * rejoined after the reconnect, unless @fatal. */
void
pg_link_on_disconnected(PgLink *link, const gchar *reason, gboolean fatal)
{
	PgSession *session = link->session;
	const PgSessionEvents *events = session->manager->events;
	const gchar *what = link->server[0] != '\0' ? link->server : "the legacy network";
	gboolean was_connected = link->state == PG_LINK_CONNECTED;

	g_clear_handle_id(&link->login_timeout_id, g_source_remove);
	/* questions to the user were about this connection */
	if (events != NULL && events->forget != NULL)
		events->forget(link);

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
	/* e.g. what the outbox was sending goes back to its queue */
	if (events != NULL && events->down != NULL)
		events->down(link);
	/* what the worker had and maybe never wrote (pg-link-queue.h) */
	if (was_connected)
		pg_link_queue_fail_in_flight(link, link->last_error);
	/* a link that never came up gives up after a few tries (pg-link-queue.h);
	 * a session that nobody is online in (it only kept a persistent room,
	 * pg-room-history.h) then ends after the grace period */
	if (!fatal && !was_connected && pg_link_queue_give_up_if_due(link, link->last_error)) {
		pg_session_release(session);
		return;
	}
	if (fatal) {
		link->state = PG_LINK_FAILED;
		pg_link_queue_fail_all(link, PG_ERROR_SERVICE_UNAVAILABLE, link->last_error);
		pg_session_notice(session,
				  "Cannot connect to %s: %s. Fix the registration and "
				  "rejoin.",
				  what, link->last_error);
		if (events != NULL && events->lost != NULL)
			events->lost(link, TRUE);
		pg_session_release(session); /* as after a give-up, above */
		return;
	}
	/* its rooms wait on the XMPP side for the rejoin */
	if (events != NULL && events->lost != NULL)
		events->lost(link, FALSE);
	if (was_connected || g_hash_table_size(link->rooms) == 0)
		pg_session_notice(session, "Disconnected from %s: %s. Reconnecting.", what,
				  link->last_error);
	pg_link_schedule_retry(link);
}

const gchar *
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

void
pg_link_send_join(PgLink *link, const PgRoom *room, const gchar *nick, xmpp_stanza_t *origin)
{
	pg_link_command(link,
			pg_ipc_message_new(PG_IPC_CMD_JOIN_ROOM, 0, "account",
					   g_variant_new_string(link->account), "room",
					   g_variant_new_string(room->name), "nick",
					   g_variant_new_string(nick), "charset",
					   room->charset != NULL
					       ? g_variant_new_string(room->charset)
					       : NULL,
					   NULL),
			origin);
}
