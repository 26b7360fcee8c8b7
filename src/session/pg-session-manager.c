/* The session layer's face: every transport's delegate (stanzas from
 * users) and the supervisor's client (events from workers).  It finds the
 * session of a stanza and the link of an event, and hands them to the
 * layer that knows: rooms (pg-room.c), contacts (pg-contacts.c), the
 * outbox (pg-sms.c), the link state machine (pg-link.c), whose reports
 * come back here (PgSessionEvents).  pg-session.c says how the layers
 * stack; this is the top one.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "session/pg-roster-ladder.h"
#include "session/pg-roster-watch.h"
#include "session/pg-account-state.h"
#include "session/pg-contact-avatar.h"
#include "session/pg-contact-caps.h"
#include "session/pg-contacts.h"
#include "session/pg-receipts.h"
#include "session/pg-irc-gate.h"
#include "session/pg-limits.h"
#include "session/pg-link-queue.h"
#include "session/pg-link.h"
#include "session/pg-prompts.h"
#include "session/pg-room-archive.h"
#include "session/pg-room-history.h"
#include "session/pg-room-moderation.h"
#include "session/pg-room-list.h"
#include "session/pg-server-settings.h"
#include "session/pg-room.h"
#include "session/pg-session-audit.h"
#include "session/pg-session-commands.h"
#include "session/pg-session-manager.h"
#include "session/pg-sms-kept.h"
#include "session/pg-sms.h"
#include "session/pg-supervisor.h"
#include "session/pg-worker-dirs.h"
#include "xmpp/pg-muc.h"
#include "stanza/pg-stanza.h"

/* How long a stop waits for the SMS gateway's answers (pg_sms_drain()). */
#define PG_SESSION_SMS_DRAIN_MS 5000

/* ------------------------------------------------ stanzas from users */

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
		if (session != NULL) {
			pg_roster_ladder_on_resource(session, from, FALSE);
			pg_session_drop_resource(session, from);
		}
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
		pg_session_set_resource(session, from, show, status_text);
	}
	/* which rung of the roster ladder its client takes (XEP-0144) */
	pg_roster_ladder_on_resource(session, from, TRUE);
	pg_session_connect_default(session, presence);
	pg_session_update_status(session);
}

static gboolean
pg_session_handle_presence(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *presence,
			   const gchar *user_jid, const PgJid *to)
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
			pg_room_handle_presence(self, transport, presence, user_jid, address);
			return TRUE;
		}
	}
	/* presence to a contact: subscriptions are answered (pg-contacts.c);
	 * available/unavailable count as the user's */
	/* a network without a buddy list watches the user's contacts */
	pg_roster_watch(self, transport, type, user_jid, to);
	if (pg_roster_handle_subscription(self, transport, presence, user_jid, to))
		return TRUE;
	if (type == NULL || g_strcmp0(type, "unavailable") == 0)
		pg_session_handle_user_presence(self, transport, presence, user_jid);
	/* available to nick%server: that server comes up too, so the contact
	 * can reach the user (without a session server nothing else would
	 * connect before the user's first message or join) */
	if (type == NULL && pg_network_has(network, PG_NETWORK_SERVERS)) {
		g_autoptr(PgNetworkAddress) address = pg_session_parse_address(transport, to, NULL);
		PgSession *session = pg_session_lookup(self, user_jid, transport);
		if (address != NULL && session != NULL) {
			g_autoptr(GError) error = NULL;
			PgLink *link =
			    pg_limits_get_link(self->limits, session, address->server, &error);
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
	if (!pg_session_user_allowed(self, transport, user_jid)) {
		pg_transport_reply_error_code(transport, message, PG_ERROR_REGISTRATION_REQUIRED,
					      "register with this gateway first");
		return TRUE;
	}
	/* texts go through the durable outbox, not a link (pg-sms.h) */
	if (pg_network_has(network, PG_NETWORK_OUTBOX))
		return pg_sms_handle_message(self->sms, transport, message, user_jid, to);
	session = pg_session_ensure(self, user_jid, transport);

	address = pg_session_parse_address(transport, to, &error);
	/* a paste past max_lines_per_message is refused, never cut (pg-limits.h) */
	if (address == NULL ||
	    !pg_limits_allow_lines(self->limits, transport, user_jid, body, &error)) {
		pg_transport_reply_error(transport, message, error);
		return TRUE;
	}
	link = pg_limits_get_link(self->limits, session, address->server, &error);
	if (link == NULL) {
		pg_transport_reply_error(transport, message, error);
		return TRUE;
	}
	if (address->is_room && address->resource == NULL) {
		/* XEP-0045 §7.8.2 (pg-room-invite.c), else a line or a subject */
		if (!pg_room_invite_mediated(link, message, address))
			pg_room_handle_message(link, message, address, body, subject);
		return TRUE;
	}
	/* a private message: to a contact, or to room/nick (IRC PMs are not
	 * tied to a channel) */
	who = g_strdup(address->is_room ? address->resource : address->name);
	if (!address->is_room && pg_room_invite_direct(link, message, who))
		return TRUE; /* XEP-0249 (pg-room-invite.c) */
	pg_contacts_send(link, message, who, body);
	return TRUE;
}

/* An iq to a room's bare JID: its archive (XEP-0313) or its owner
 * configuration (XEP-0045 §10).  FALSE: neither. */
static gboolean
pg_session_handle_room_iq(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *iq,
			  const gchar *user_jid, const PgJid *to)
{
	g_autoptr(PgNetworkAddress) address = NULL;

	if (!pg_network_has(pg_session_network(transport), PG_NETWORK_ROOMS))
		return FALSE;
	address = pg_session_parse_address(transport, to, NULL);
	if (address == NULL || !address->is_room || address->resource != NULL)
		return FALSE;
	return pg_room_archive_handle_iq(self, transport, iq, user_jid, address) ||
	       pg_room_history_handle_owner_iq(self, transport, iq, user_jid, address);
}

/* disco#info on a room or contact JID (XEP-0030, XEP-0045 §6.4). */
static gboolean
pg_session_handle_iq(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *iq,
		     const gchar *user_jid, const PgJid *to)
{
	const PgNetwork *network = pg_session_network(transport);
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, PG_NS_DISCO_INFO);
	g_autoptr(PgNetworkAddress) address = NULL;
	xmpp_stanza_t *reply;
	xmpp_stanza_t *result;
	xmpp_stanza_t *identity;
	static const gchar *const room_features[] = {
	    PG_NS_DISCO_INFO,   PG_NS_MUC,       "muc_open",      "muc_public",
	    "muc_nonanonymous", "muc_unsecured", "muc_persistent"};

	/* XEP-0410 self-ping, XEP-0045 muc#admin (pg-room-moderation.c) */
	if (to->local != NULL && pg_network_has(network, PG_NETWORK_ROOMS) &&
	    pg_room_handle_iq(self, transport, iq, user_jid, to))
		return TRUE;
	if (xmpp_stanza_get_child_by_ns(iq, PG_NS_PING) != NULL) {
		reply = pg_stanza_iq_result(iq);
		pg_transport_send(transport, reply);
		xmpp_stanza_release(reply);
		return TRUE;
	}
	if (pg_session_handle_room_iq(self, transport, iq, user_jid, to))
		return TRUE;
	if (pg_contact_avatar_handle_iq(self, transport, iq, user_jid, to))
		return TRUE;
	if (!pg_network_has(network, PG_NETWORK_ROOMS) &&
	    !pg_network_has(network, PG_NETWORK_BUDDY_LIST))
		return FALSE;
	address = pg_session_parse_address(transport, to, NULL);
	if (address == NULL)
		return FALSE;
	/* the server's JID: its settings, its room list */
	if (address->is_server)
		return pg_server_settings_handle_iq(self, transport, iq, user_jid, address) ||
		       pg_room_lists_handle_iq(self, transport, iq, user_jid, address);
	if (query == NULL || g_strcmp0(xmpp_stanza_get_type(iq), "get") != 0)
		return FALSE;
	if (!address->is_room || address->resource != NULL) {
		/* a contact (or an occupant): its caps (pg-contact-caps.h) */
		reply = pg_contact_caps_disco_reply(transport, iq);
		if (reply != NULL) {
			pg_transport_send(transport, reply);
			xmpp_stanza_release(reply);
		}
		return TRUE;
	}
	reply = pg_stanza_iq_result(iq);
	result = pg_stanza_add_child(reply, "query", PG_NS_DISCO_INFO);
	identity = pg_stanza_add_child(result, "identity", NULL);
	xmpp_stanza_set_attribute(identity, "category", "conference");
	xmpp_stanza_set_attribute(identity, "type", network->room_disco_type);
	pg_stanza_set_attribute(identity, "name", address->name);
	for (gsize i = 0; i < G_N_ELEMENTS(room_features); i++) {
		xmpp_stanza_t *feature = pg_stanza_add_child(result, "feature", NULL);
		xmpp_stanza_set_attribute(feature, "var", room_features[i]);
	}
	pg_room_archive_add_features(transport, result);
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
	/* nobody the network does not serve makes the gateway resolve names;
	 * a guest passes the gate and the limits like anyone (pg-network.h) */
	if (session == NULL && !pg_session_user_allowed(self, transport, user_jid))
		return TRUE;
	/* a new server past the user's link limit is refused by the handlers
	 * (pg_limits_get_link()): nothing to resolve for it, so one user
	 * naming a thousand servers makes no thousand lookups */
	if (session != NULL && link == NULL && !pg_limits_link_fits(self->limits, session))
		return TRUE;
	return pg_irc_gate_admit(self->irc_gate, transport, stanza, address->server);
}

/* Whether @to names a legacy server itself (PgNetworkAddress.is_server). */
static gboolean
pg_session_is_server_jid(PgTransport *transport, const PgJid *to)
{
	g_autoptr(PgNetworkAddress) address = NULL;

	if (to->local == NULL || !pg_network_has(pg_session_network(transport), PG_NETWORK_SERVERS))
		return FALSE;
	address = pg_session_parse_address(transport, to, NULL);
	return address != NULL && address->is_server;
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
	if (pg_session_is_server_jid(transport, to) && g_strcmp0(name, "iq") != 0) {
		/* a server's JID takes IQs only (its room list, its settings) */
		if (g_strcmp0(name, "message") == 0)
			pg_transport_reply_error_code(transport, stanza, PG_ERROR_BAD_REQUEST,
						      "write to a channel or a nick of this server");
		return TRUE;
	}
	if (!pg_session_irc_admit(self, transport, stanza, user_jid, to))
		return TRUE;
	if (g_strcmp0(name, "presence") == 0)
		return pg_session_handle_presence(self, transport, stanza, user_jid, to);
	if (g_strcmp0(name, "message") == 0)
		return pg_session_handle_message(self, transport, stanza, user_jid, to);
	if (g_strcmp0(name, "iq") == 0)
		return pg_session_handle_iq(self, transport, stanza, user_jid, to);
	return FALSE;
}

static void
pg_session_unregistered_cb(PgTransport *transport, const gchar *user_jid, gpointer user_data)
{
	PgSessionManager *self = user_data;
	PgSession *session = pg_session_lookup(self, user_jid, transport);
	if (session != NULL)
		pg_session_end(session);
	/* every trace (XEP-0077 §3.2): the archives and persistent rooms too */
	pg_room_history_forget_user(self, transport, user_jid);
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
		g_warning("%s: cannot list the registered users to probe: %s", jid, error->message);
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
		/* rooms kept joined for offline users, after a restart */
		pg_room_history_restore(user_data, transport);
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

/* ------------------------------------------------ events from workers */

static void
pg_session_on_error(PgLink *link, const PgIpcMessage *msg)
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
			pg_room_forget_join(link, origin);
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
		if (g_strcmp0(state, "connecting") == 0) {
			pg_link_on_connecting(link);
			return;
		}
		pg_supervisor_login_done(supervisor, account);
		if (g_strcmp0(state, "connected") == 0)
			pg_link_on_connected(link);
		else
			pg_link_on_disconnected(link, pg_ipc_message_get_string(msg, "reason"),
						pg_ipc_message_get_boolean(msg, "fatal", FALSE));
		return;
	}
	case PG_IPC_EVT_ROOM_JOINED:
		pg_room_on_joined(link, msg);
		return;
	case PG_IPC_EVT_ROOM_OCCUPANT:
		pg_room_on_occupant(link, msg);
		return;
	case PG_IPC_EVT_ROOM_MESSAGE:
		pg_room_on_message(link, msg);
		return;
	case PG_IPC_EVT_ROOM_SUBJECT:
		pg_room_on_subject(link, msg);
		return;
	case PG_IPC_EVT_ROOM_LEFT:
		pg_room_on_left(link, msg);
		return;
	case PG_IPC_EVT_ROOM_ADMIN_DONE:
		pg_room_on_admin_done(link, msg);
		return;
	case PG_IPC_EVT_ROOM_INVITED:
		pg_room_on_invited(link, msg);
		return;
	case PG_IPC_EVT_IM_RECEIVED:
		/* an SMS that arrives while the XMPP server is away is kept (pg-sms.h) */
		if (!pg_sms_keep_im(self->sms, link, pg_ipc_message_get_string(msg, "from"),
				    pg_ipc_message_get_string(msg, "body")))
			pg_contacts_on_im(link, msg);
		return;
	case PG_IPC_EVT_TYPING:
		pg_contacts_on_typing(link, msg);
		return;
	case PG_IPC_EVT_RECEIPT:
		pg_receipts_on_event(link, msg);
		return;
	case PG_IPC_EVT_BUDDY:
		pg_roster_ladder_on_buddy(link, msg);
		return;
	case PG_IPC_EVT_BUDDY_REMOVED:
		pg_roster_ladder_on_buddy_removed(link, msg);
		return;
	case PG_IPC_EVT_BUDDY_PRESENCE:
		pg_roster_on_buddy_presence(link, msg);
		return;
	case PG_IPC_EVT_ROOM_LIST:
		pg_room_lists_on_event(link, msg);
		return;
	case PG_IPC_EVT_BUDDY_ICON:
		pg_roster_on_buddy_icon(link, msg);
		return;
	case PG_IPC_EVT_ERROR:
		pg_session_on_error(link, msg);
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

/* ------------------------------------------------ reports from links */

static void
pg_session_link_connected_cb(PgLink *link)
{
	pg_roster_watch_on_connected(link);
	pg_room_rejoin_all(link);
	pg_roster_ladder_on_link_connected(link);
}

static void
pg_session_link_forget_cb(PgLink *link)
{
	pg_prompts_forget_link(link);
	g_clear_pointer(&link->receipts, pg_receipts_free);
}

static void
pg_session_link_down_cb(PgLink *link)
{
	pg_sms_on_link_down(link->session->manager->sms, link);
	pg_roster_on_link_down(link);
	pg_room_lists_on_link_down(link);
}

static void
pg_session_link_lost_cb(PgLink *link, gboolean fatal)
{
	pg_room_on_link_lost(link, fatal);
}

static gboolean
pg_session_holds_cb(PgSession *session)
{
	return pg_sms_holds_session(session->manager->sms, session) ||
	       pg_room_history_holds(session);
}

static const PgSessionEvents pg_session_events = {
    .connected = pg_session_link_connected_cb,
    .forget = pg_session_link_forget_cb,
    .down = pg_session_link_down_cb,
    .lost = pg_session_link_lost_cb,
    .holds = pg_session_holds_cb,
};

/* ---------------------------------------------------------------- manager */

PgSessionManager *
pg_session_manager_new(const PgConfig *config, const gchar *worker_path)
{
	PgSessionManager *self = g_new0(PgSessionManager, 1);
	self->config = config;
	self->events = &pg_session_events;
	self->sessions = pg_session_table_new();
	self->links = g_hash_table_new(g_str_hash, g_str_equal);
	self->transports = g_ptr_array_new();
	self->audit = pg_session_audit_new(self, config->probe_timeout);
	self->limits = pg_limits_new(config);
	self->room_lists = pg_room_lists_new();
	self->server_settings = pg_server_settings_new();
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
	pg_session_commands_add(self, transport);
}

gboolean
pg_session_manager_start(PgSessionManager *self, GError **error)
{
	g_autofree gchar *worker_dirs = pg_worker_dirs_base_for(self->config->database);

	if (!pg_supervisor_set_worker_sandbox(self->supervisor, self->config->worker_sandbox,
					      worker_dirs, error))
		return FALSE;
	if (!pg_room_history_start(self, error))
		return FALSE;
	self->sms = pg_sms_new(self, error);
	return self->sms != NULL;
}

/* The gateway stops: the user's client must not keep showing what it can
 * no longer reach.  Every room the user is in says it removed them because
 * the service shuts down (XEP-0045 status 332), every legacy contact shown
 * online goes offline and so does the transport (XEP-0100 §4.5.1, as on
 * logging out). */
static void
pg_session_say_goodbye(PgSession *session)
{
	GHashTableIter links;
	gpointer value;

	if (g_hash_table_size(session->resources) == 0)
		return;
	g_hash_table_iter_init(&links, session->links);
	while (g_hash_table_iter_next(&links, NULL, &value)) {
		pg_room_say_goodbye(value);
		pg_contacts_say_goodbye(value);
	}
	pg_contacts_send_unavailable(session, pg_transport_get_jid(session->transport));
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
		pg_session_commands_remove(transport);
	}
	g_clear_pointer(&self->sms, pg_sms_free);
	g_clear_pointer(&self->audit, pg_session_audit_free);
	g_clear_pointer(&self->irc_gate, pg_irc_gate_free);
	g_clear_pointer(&self->room_lists, pg_room_lists_free);
	g_clear_pointer(&self->server_settings, g_hash_table_unref);
	g_hash_table_remove_all(self->sessions);
	pg_supervisor_free(self->supervisor);
	pg_room_history_stop(self);
	g_hash_table_unref(self->sessions);
	g_hash_table_unref(self->links);
	g_ptr_array_unref(self->transports);
	pg_limits_free(self->limits);
	g_free(self);
}

void
pg_session_manager_set_protocols(PgSessionManager *self, GHashTable *protocols)
{
	pg_supervisor_set_protocols(self->supervisor, protocols);
}

void
pg_session_manager_set_ident(PgSessionManager *self, PgIdent *ident)
{
	pg_supervisor_set_ident(self->supervisor, ident);
}

guint
pg_session_manager_get_n_sessions(PgSessionManager *self)
{
	return g_hash_table_size(self->sessions);
}
