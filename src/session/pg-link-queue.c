/* What waits for a legacy connection: see pg-link-queue.h.
 *
 * INVARIANT: every PgLinkOrigin names a message that is in link->pending;
 * a message leaves pending only through pg_link_queue_steal_origin() (it is
 * sent) or pg_link_queue_fail_all() (it is answered), or is an SMS send
 * (pg_sms_on_link_down(), which never has an origin).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-link-queue.h"
#include "xmpp/pg-stanza.h"

typedef struct {
	const PgIpcMessage *msg; /* borrowed: owned by link->pending */
	xmpp_stanza_t *origin;   /* a clone */
} PgLinkOrigin;

static void
pg_link_origin_free(PgLinkOrigin *entry)
{
	xmpp_stanza_release(entry->origin);
	g_free(entry);
}

void
pg_link_queue_remember(PgLink *link, const PgIpcMessage *msg, xmpp_stanza_t *origin)
{
	PgLinkOrigin *entry;

	if (origin == NULL)
		return;
	if (link->origins == NULL)
		link->origins = g_queue_new();
	entry = g_new0(PgLinkOrigin, 1);
	entry->msg = msg;
	entry->origin = xmpp_stanza_clone(origin);
	g_queue_push_tail(link->origins, entry);
}

xmpp_stanza_t *
pg_link_queue_steal_origin(PgLink *link, const PgIpcMessage *msg)
{
	if (link->origins == NULL)
		return NULL;
	for (GList *l = link->origins->head; l != NULL; l = l->next) {
		PgLinkOrigin *entry = l->data;
		if (entry->msg == msg) {
			xmpp_stanza_t *origin = entry->origin;
			g_queue_delete_link(link->origins, l);
			g_free(entry);
			return origin;
		}
	}
	return NULL;
}

void
pg_link_queue_fail_all(PgLink *link, gint code, const gchar *text)
{
	PgTransport *transport = link->session->transport;

	while (link->origins != NULL && !g_queue_is_empty(link->origins)) {
		PgLinkOrigin *entry = g_queue_pop_head(link->origins);
		pg_transport_reply_error_code(transport, entry->origin, code, text);
		pg_link_origin_free(entry);
	}
	g_queue_clear_full(link->pending, (GDestroyNotify)pg_ipc_message_free);
}

void
pg_link_queue_free(PgLink *link)
{
	if (link->origins != NULL)
		g_queue_free_full(link->origins, (GDestroyNotify)pg_link_origin_free);
	link->origins = NULL;
}

void
pg_link_queue_on_connected(PgLink *link)
{
	link->ever_connected = TRUE;
	link->failed_tries = 0;
}

/* RFC 6120 §8.3.3.16 remote-server-not-found: "does not exist or cannot be
 * resolved"; §8.3.3.17 remote-server-timeout: "could not be contacted within
 * a reasonable amount of time".  libpurple's reasons are free text. */
static gint
pg_link_queue_condition(const gchar *reason)
{
	static const gchar *const not_found[] = {"refused", "resolve", "unknown host",
						 "no such host", "not known", "unreachable",
						 "no route"};
	g_autofree gchar *lower = g_utf8_strdown(reason != NULL ? reason : "", -1);

	for (gsize i = 0; i < G_N_ELEMENTS(not_found); i++) {
		if (strstr(lower, not_found[i]) != NULL)
			return PG_ERROR_REMOTE_SERVER_NOT_FOUND;
	}
	return PG_ERROR_REMOTE_SERVER_TIMEOUT;
}

gboolean
pg_link_queue_give_up_if_due(PgLink *link, const gchar *reason)
{
	PgSession *session = link->session;
	guint limit = pg_transport_get_config(session->transport)->link_give_up_after;
	const gchar *what = link->server[0] != '\0' ? link->server : "the legacy network";
	g_autofree gchar *text = NULL;
	gboolean answered;
	guint tries;

	if (link->ever_connected || limit == 0 || ++link->failed_tries < limit)
		return FALSE;
	tries = link->failed_tries;
	link->failed_tries = 0;
	link->state = PG_LINK_FAILED;
	g_clear_handle_id(&link->retry_id, g_source_remove);
	text = g_strdup_printf("Cannot connect to %s (%u tries): %s", what, tries,
			       reason != NULL ? reason : "no answer");
	g_strdelimit(text, "\r\n", ' ');
	g_message("%s: gave up after %u failed tries: %s", link->account, tries,
		  reason != NULL ? reason : "no answer");
	answered = link->origins != NULL && !g_queue_is_empty(link->origins);
	/* XEP-0045 §7.2: each join that waited gets an error presence from
	 * room/nick; each message an error message */
	pg_link_queue_fail_all(link, pg_link_queue_condition(reason), text);
	/* the rooms were never joined: their joins were answered just now */
	g_hash_table_remove_all(link->rooms);
	if (!answered) {
		/* nothing asked for this link (it came up with the session): say
		 * it in a chat message from the transport, as other notices */
		xmpp_stanza_t *message = xmpp_message_new(pg_session_ctx(session), "chat",
							  session->user_jid, NULL);
		g_autofree gchar *notice = g_strdup_printf("%s. Not retried until you use it "
							   "again.",
							   text);
		pg_stanza_set_body(message, notice);
		pg_session_send(session, message);
	}
	return TRUE;
}
