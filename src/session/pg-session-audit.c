/* Sessions match the XMPP server's truth after a component reconnect
 * (pg-session-audit.h says why and what).
 *
 * DESIGN: one round per transport, from its component's "connected" to
 * the deadline.  A round holds, per user, the full JIDs of the resources
 * the session had when the component connected and that no available
 * presence confirmed since.  It holds names, never PgSession pointers: a
 * session may end during the round (its user went offline properly) and
 * is looked up again when the round acts.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "session/pg-session-audit.h"
#include "session/pg-session-private.h"

typedef struct {
	PgSessionAudit *audit;
	PgTransport *transport;
	guint timeout_id;
	GHashTable *pending; /* user bare JID -> set of unconfirmed full JIDs */
} PgAuditRound;

struct _PgSessionAudit {
	PgSessionManager *manager;
	guint timeout_s;
	GHashTable *rounds; /* PgTransport * (borrowed) -> PgAuditRound (owned) */
};

static void
pg_audit_round_free(PgAuditRound *round)
{
	g_clear_handle_id(&round->timeout_id, g_source_remove);
	g_hash_table_unref(round->pending);
	g_free(round);
}

PgSessionAudit *
pg_session_audit_new(PgSessionManager *manager, guint timeout_s)
{
	PgSessionAudit *self = g_new0(PgSessionAudit, 1);

	self->manager = manager;
	self->timeout_s = MAX(timeout_s, 1);
	self->rounds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					     (GDestroyNotify)pg_audit_round_free);
	return self;
}

void
pg_session_audit_free(PgSessionAudit *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->rounds);
	g_free(self);
}

/* The server did not confirm @unconfirmed (full JIDs) of @user_jid: they
 * are gone, and so is the session if nothing else holds it. */
static void
pg_audit_end_user(PgAuditRound *round, const gchar *user_jid, GHashTable *unconfirmed,
		  const gchar *why)
{
	PgSession *session = pg_session_lookup(round->audit->manager, user_jid, round->transport);
	const gchar *transport_jid = pg_transport_get_jid(round->transport);
	GHashTableIter iter;
	gpointer resource;
	guint n = 0;

	if (session == NULL)
		return;
	g_hash_table_iter_init(&iter, unconfirmed);
	while (g_hash_table_iter_next(&iter, &resource, NULL)) {
		if (!g_hash_table_contains(session->resources, resource))
			continue; /* it went unavailable properly meanwhile */
		g_message("%s: %s is not online on the XMPP server any more (%s): "
			  "taking it as gone",
			  transport_jid, (const gchar *)resource, why);
		pg_session_drop_resource(session, resource);
		n++;
	}
	if (n > 0 && g_hash_table_size(session->resources) == 0)
		pg_session_end_if_idle(session);
}

static void
pg_audit_round_finish(PgAuditRound *round)
{
	g_hash_table_remove(round->audit->rounds, round->transport);
}

static gboolean
pg_audit_timeout_cb(gpointer user_data)
{
	PgAuditRound *round = user_data;
	g_autoptr(GHashTable) pending = g_steal_pointer(&round->pending);
	g_autofree gchar *why = NULL;
	GHashTableIter iter;
	gpointer user_jid, unconfirmed;

	round->timeout_id = 0;
	round->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)g_hash_table_unref);
	why = g_strdup_printf("no answer to the presence probe within %u s",
			      round->audit->timeout_s);
	g_hash_table_iter_init(&iter, pending);
	while (g_hash_table_iter_next(&iter, &user_jid, &unconfirmed))
		pg_audit_end_user(round, user_jid, unconfirmed, why);
	pg_audit_round_finish(round);
	return G_SOURCE_REMOVE;
}

void
pg_session_audit_start(PgSessionAudit *self, PgTransport *transport)
{
	PgAuditRound *round;
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	g_hash_table_remove(self->rounds, transport);
	round = g_new0(PgAuditRound, 1);
	round->audit = self;
	round->transport = transport;
	round->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)g_hash_table_unref);
	g_hash_table_iter_init(&iter, self->manager->sessions);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgSession *session = value;
		GHashTable *unconfirmed;
		GHashTableIter resources;
		gpointer resource;

		if (session->transport != transport || g_hash_table_size(session->resources) == 0)
			continue;
		unconfirmed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_iter_init(&resources, session->resources);
		while (g_hash_table_iter_next(&resources, &resource, NULL)) {
			g_hash_table_add(unconfirmed, g_strdup(resource));
			n++;
		}
		g_hash_table_insert(round->pending, g_strdup(session->user_jid), unconfirmed);
	}
	if (n == 0) {
		pg_audit_round_free(round);
		return;
	}
	g_message("%s: waiting up to %u s for the XMPP server to confirm %u resource(s) "
		  "of %u session(s)",
		  pg_transport_get_jid(transport), self->timeout_s, n,
		  g_hash_table_size(round->pending));
	round->timeout_id = g_timeout_add_seconds(self->timeout_s, pg_audit_timeout_cb, round);
	g_hash_table_insert(self->rounds, transport, round);
}

void
pg_session_audit_stop(PgSessionAudit *self, PgTransport *transport)
{
	g_hash_table_remove(self->rounds, transport);
}

void
pg_session_audit_presence(PgSessionAudit *self, PgTransport *transport, const gchar *user_jid,
			  const gchar *from, gboolean available)
{
	PgAuditRound *round = g_hash_table_lookup(self->rounds, transport);
	GHashTable *unconfirmed;

	if (round == NULL || from == NULL)
		return;
	unconfirmed = g_hash_table_lookup(round->pending, user_jid);
	if (unconfirmed == NULL)
		return;
	if (!available && strchr(from, '/') == NULL) {
		/* RFC 6121 §4.3.2: the bare JID's unavailable answers the probe
		 * for an account with no available resource */
		g_autoptr(GHashTable) gone = NULL;
		g_autofree gchar *user = NULL;
		g_hash_table_steal_extended(round->pending, user_jid, (gpointer *)&user,
					    (gpointer *)&gone);
		pg_audit_end_user(round, user, gone, "the server answered the probe: unavailable");
	} else {
		/* available: confirmed; a full JID's unavailable ends that
		 * resource the usual way */
		g_hash_table_remove(unconfirmed, from);
		if (g_hash_table_size(unconfirmed) == 0)
			g_hash_table_remove(round->pending, user_jid);
	}
	if (g_hash_table_size(round->pending) == 0) {
		g_info("%s: the XMPP server answered for every session",
		       pg_transport_get_jid(transport));
		pg_audit_round_finish(round);
	}
}
