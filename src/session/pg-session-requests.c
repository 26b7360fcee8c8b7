/* The stanzas behind a session's recent requests to its worker, kept so that
 * an error the worker reports later (by request id) is answered on the
 * stanza that caused it (RFC 6120 §8.3).  Below pg-link-queue.c and
 * pg-session.c, which both use it (pg-session.c, DESIGN). */
#include "config.h"

#include "session/pg-session-private.h"

#define PG_SESSION_RECENT_MAX 64 /* requests remembered for error replies */

void
pg_session_request_free(PgSessionRequest *request)
{
	xmpp_stanza_release(request->stanza);
	g_free(request);
}

void
pg_session_remember(PgSession *session, guint32 id, xmpp_stanza_t *stanza)
{
	PgSessionRequest *request = g_new0(PgSessionRequest, 1);

	request->id = id;
	request->stanza = xmpp_stanza_clone(stanza);
	g_queue_push_tail(session->recent, request);
	while (g_queue_get_length(session->recent) > PG_SESSION_RECENT_MAX)
		pg_session_request_free(g_queue_pop_head(session->recent));
}

xmpp_stanza_t *
pg_session_recall(PgSession *session, guint32 id)
{
	for (GList *l = session->recent->head; l != NULL; l = l->next) {
		PgSessionRequest *request = l->data;
		if (request->id == id)
			return request->stanza;
	}
	return NULL;
}
