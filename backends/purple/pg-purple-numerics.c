/* IRC error numerics as errors on the command that caused them (issue 8:
 * nothing silent).
 *
 * WHY: prpl-irc handles an error numeric by itself: 401 writes "User is not
 * logged in" into a conversation or calls purple_notify_error(), 404 writes
 * into the chat as a system line, 473 shows a notify dialog.  None of that
 * names the line that caused it, and a UI notify has no conversation.  So
 * the daemon would never answer the stanza behind the command.
 *
 * HOW: prpl-irc emits "irc-receiving-text" (gc, char **line) for every raw
 * line before it parses it.  Each command the daemon sends that the server
 * may refuse is remembered here by (account, kind, casefolded target) with
 * its request id; an error numeric naming that target takes the OLDEST
 * such request (IRC answers in order) and becomes an "error" event with the
 * request id and an RFC 6120 condition; the daemon answers the stanza it
 * kept for that id (pg_session_recall()).  IRC has no success reply for
 * PRIVMSG, so an expectation is forgotten after PG_PURPLE_NUMERICS_TTL_S
 * (servers answer in well under a second) or when the list of an account
 * passes PG_PURPLE_NUMERICS_MAX.  A join is forgotten when it succeeds.
 *
 * Mapping (XEP-0045 §7.2 for joins, RFC 6120 §8.3.3 otherwise):
 *   401 ERR_NOSUCHNICK, 403 ERR_NOSUCHCHANNEL     item-not-found
 *   404 ERR_CANNOTSENDTOCHAN (+m, +n, banned)     forbidden
 *   482 ERR_CHANOPRIVSNEEDED (topic under +t)     forbidden
 *   471 ERR_CHANNELISFULL                         service-unavailable
 *   473 ERR_INVITEONLYCHAN, 477 ERR_NEEDREGGEDNICK registration-required
 *   474 ERR_BANNEDFROMCHAN                        forbidden
 *   475 ERR_BADCHANNELKEY                         not-authorized
 */
#define G_LOG_DOMAIN "pg-purple"

#include "config.h"

#include <purple.h>
#include <string.h>

#include "core/pg-error.h"
#include "pg-purple-numerics.h"
#include "pg-purple-worker.h"

#define PG_PURPLE_NUMERICS_TTL_S 60
#define PG_PURPLE_NUMERICS_MAX 256

typedef enum {
	PG_NUMERIC_MESSAGE = 1 << 0, /* send-im, room-message, room-private-message */
	PG_NUMERIC_SUBJECT = 1 << 1, /* set-room-subject */
	PG_NUMERIC_JOIN = 1 << 2,    /* join-room */
} PgNumericKinds;

typedef struct {
	const gchar *numeric;
	PgNumericKinds kinds; /* the commands it can answer */
	PgErrorCode code;
} PgNumericRule;

static const PgNumericRule pg_purple_numerics_rules[] = {
    {.numeric = "401", .kinds = PG_NUMERIC_MESSAGE, .code = PG_ERROR_ITEM_NOT_FOUND},
    {.numeric = "403",
     .kinds = PG_NUMERIC_MESSAGE | PG_NUMERIC_JOIN | PG_NUMERIC_SUBJECT,
     .code = PG_ERROR_ITEM_NOT_FOUND},
    {.numeric = "404", .kinds = PG_NUMERIC_MESSAGE, .code = PG_ERROR_FORBIDDEN},
    {.numeric = "482", .kinds = PG_NUMERIC_SUBJECT, .code = PG_ERROR_FORBIDDEN},
    {.numeric = "471", .kinds = PG_NUMERIC_JOIN, .code = PG_ERROR_SERVICE_UNAVAILABLE},
    {.numeric = "473", .kinds = PG_NUMERIC_JOIN, .code = PG_ERROR_REGISTRATION_REQUIRED},
    {.numeric = "477", .kinds = PG_NUMERIC_JOIN, .code = PG_ERROR_REGISTRATION_REQUIRED},
    {.numeric = "474", .kinds = PG_NUMERIC_JOIN, .code = PG_ERROR_FORBIDDEN},
    {.numeric = "475", .kinds = PG_NUMERIC_JOIN, .code = PG_ERROR_NOT_AUTHORIZED},
};

typedef struct {
	guint32 request;
	PgNumericKinds kind;
	gchar *target; /* casefolded */
	gint64 at;     /* monotonic seconds */
} PgNumericExpect;

/* account key -> GQueue of PgNumericExpect, oldest first; the worker is
 * single-threaded (libpurple is) */
static GHashTable *pg_purple_numerics_expected;
static gint pg_purple_numerics_handle;

static void
pg_numeric_expect_free(PgNumericExpect *expect)
{
	g_free(expect->target);
	g_free(expect);
}

static void
pg_numeric_queue_free(GQueue *queue)
{
	g_queue_free_full(queue, (GDestroyNotify)pg_numeric_expect_free);
}

static gint64
pg_purple_numerics_now(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

static void
pg_purple_numerics_prune(GQueue *queue)
{
	gint64 now = pg_purple_numerics_now();

	while (!g_queue_is_empty(queue)) {
		PgNumericExpect *head = g_queue_peek_head(queue);
		if (g_queue_get_length(queue) <= PG_PURPLE_NUMERICS_MAX &&
		    now - head->at < PG_PURPLE_NUMERICS_TTL_S)
			break;
		pg_numeric_expect_free(g_queue_pop_head(queue));
	}
}

void
pg_purple_numerics_expect(const PgIpcMessage *msg)
{
	const gchar *account = pg_ipc_message_get_string(msg, "account");
	const gchar *target = NULL;
	PgNumericKinds kind;
	PgNumericExpect *expect;
	GQueue *queue;

	if (pg_purple_numerics_expected == NULL || account == NULL || msg->id == 0)
		return;
	switch (msg->kind) {
	case PG_IPC_CMD_SEND_IM:
		kind = PG_NUMERIC_MESSAGE;
		target = pg_ipc_message_get_string(msg, "to");
		break;
	case PG_IPC_CMD_ROOM_PRIVATE_MESSAGE:
		kind = PG_NUMERIC_MESSAGE;
		target = pg_ipc_message_get_string(msg, "nick");
		break;
	case PG_IPC_CMD_ROOM_MESSAGE:
		kind = PG_NUMERIC_MESSAGE;
		target = pg_ipc_message_get_string(msg, "room");
		break;
	case PG_IPC_CMD_SET_ROOM_SUBJECT:
		kind = PG_NUMERIC_SUBJECT;
		target = pg_ipc_message_get_string(msg, "room");
		break;
	case PG_IPC_CMD_JOIN_ROOM:
		kind = PG_NUMERIC_JOIN;
		target = pg_ipc_message_get_string(msg, "room");
		break;
	default:
		return;
	}
	if (target == NULL)
		return;
	{
		PgPurpleAccount *entry =
		    g_hash_table_lookup(pg_purple_worker_get()->accounts, account);
		if (entry == NULL ||
		    g_strcmp0(purple_account_get_protocol_id(entry->account), "prpl-irc") != 0)
			return;
	}
	queue = g_hash_table_lookup(pg_purple_numerics_expected, account);
	if (queue == NULL) {
		queue = g_queue_new();
		g_hash_table_insert(pg_purple_numerics_expected, g_strdup(account), queue);
	}
	expect = g_new0(PgNumericExpect, 1);
	expect->request = msg->id;
	expect->kind = kind;
	expect->target = g_utf8_casefold(target, -1);
	expect->at = pg_purple_numerics_now();
	g_queue_push_tail(queue, expect);
	pg_purple_numerics_prune(queue);
}

/* Takes the oldest expectation of @kinds for @target.  Returns: its request
 * id, or 0. */
static guint32
pg_purple_numerics_take(GQueue *queue, PgNumericKinds kinds, const gchar *target)
{
	g_autofree gchar *folded = g_utf8_casefold(target, -1);

	for (GList *l = queue->head; l != NULL; l = l->next) {
		PgNumericExpect *expect = l->data;
		if ((expect->kind & kinds) != 0 && g_strcmp0(expect->target, folded) == 0) {
			guint32 request = expect->request;
			pg_numeric_expect_free(expect);
			g_queue_delete_link(queue, l);
			return request;
		}
	}
	return 0;
}

/* ":server 404 ournick #chan :Cannot send to channel" -> "404", "#chan",
 * "Cannot send to channel".  Returns: FALSE if @line is not of that shape. */
static gboolean
pg_purple_numerics_parse(const gchar *line, gchar **numeric, gchar **target, gchar **text)
{
	g_auto(GStrv) words = NULL;
	const gchar *trailing;

	if (line == NULL || line[0] != ':')
		return FALSE;
	trailing = strstr(line, " :");
	words = g_strsplit(line, " ", 5);
	if (g_strv_length(words) < 4 || strlen(words[1]) != 3 || !g_ascii_isdigit(words[1][0]) ||
	    words[3][0] == ':')
		return FALSE;
	*numeric = g_strdup(words[1]);
	*target = g_strdup(words[3]);
	*text = g_strdup(trailing != NULL ? trailing + 2 : "");
	g_strchomp(*text);
	return TRUE;
}

static void
pg_purple_numerics_receiving_cb(PurpleConnection *gc, gchar **line, gpointer user_data)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(purple_connection_get_account(gc));
	g_autofree gchar *numeric = NULL;
	g_autofree gchar *target = NULL;
	g_autofree gchar *text = NULL;
	GQueue *queue;

	if (entry == NULL || line == NULL ||
	    !pg_purple_numerics_parse(*line, &numeric, &target, &text))
		return;
	queue = g_hash_table_lookup(pg_purple_numerics_expected, entry->key);
	if (queue == NULL)
		return;
	pg_purple_numerics_prune(queue);
	/* a join that worked needs no answer from here */
	if (g_strcmp0(numeric, "366") == 0 || g_strcmp0(numeric, "332") == 0) {
		pg_purple_numerics_take(queue, PG_NUMERIC_JOIN, target);
		return;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(pg_purple_numerics_rules); i++) {
		const PgNumericRule *rule = &pg_purple_numerics_rules[i];
		g_autoptr(GError) error = NULL;
		guint32 request;

		if (g_strcmp0(rule->numeric, numeric) != 0)
			continue;
		request = pg_purple_numerics_take(queue, rule->kinds, target);
		if (request == 0)
			return; /* not ours (or too old): prpl-irc shows it as before */
		error = g_error_new(PG_ERROR, rule->code, "%s: %s", target,
				    text[0] != '\0' ? text : numeric);
		g_debug("numeric %s on %s answers request %u", numeric, target, request);
		pg_purple_worker_emit_error(entry->key, request, error);
		return;
	}
}

void
pg_purple_numerics_connect(void)
{
	PurplePlugin *irc = purple_plugins_find_with_id("prpl-irc");

	pg_purple_numerics_expected =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)pg_numeric_queue_free);
	if (irc == NULL || !purple_plugin_is_loaded(irc))
		return;
	purple_signal_connect(irc, "irc-receiving-text", &pg_purple_numerics_handle,
			      PURPLE_CALLBACK(pg_purple_numerics_receiving_cb), NULL);
}

void
pg_purple_numerics_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_numerics_handle);
	g_clear_pointer(&pg_purple_numerics_expected, g_hash_table_unref);
}
