/* libpurple prompts (PurpleRequestUiOps) in a worker nobody sits in front of.
 *
 * DESIGN: a plugin asks (accept this certificate? enter the code we sent
 * you) and waits for the UI to call one of the callbacks it gave.  Until a
 * prompt can reach the user, every prompt is declined from an idle
 * callback, never from inside the call that asked (libpurple's dialogs are
 * asynchronous, and plugins are written for that).
 *
 * Declining means the negative answer, found by its label: an action
 * prompt's "Reject"/"Cancel"/"No"/... (with GTK's "_" mnemonics removed),
 * the cancel callback of an input, choice or fields prompt.  Never simply
 * the last action: libpurple's certificate prompt (certificate.c,
 * x509_tls_cached_user_auth) offers Accept, Reject and "View Certificate...",
 * and the last one re-opens the same prompt at once.  Taking it was issue
 * 9's storm: prpl-jabber asked ~23,000 times a second, the log grew by
 * 347 MB in 100 s, and the login never ended.
 *
 * No prompt may loop anyway, whatever a plugin does with the answer: a
 * prompt equal (type, title, primary text) to one answered less than
 * PG_PURPLE_REQUEST_REPEAT_MS ago is a repeat, and each repeat in a row
 * doubles the wait before the answer, up to PG_PURPLE_REQUEST_MAX_DELAY_MS.
 * The log says the first prompt of a streak and then only the 2nd, 4th,
 * 8th... repeat, so a loop costs a few lines, not a disk.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <string.h>

#include "pg-purple-request.h"

#define PG_PURPLE_REQUEST_REPEAT_MS 1000
#define PG_PURPLE_REQUEST_FIRST_DELAY_MS 100
#define PG_PURPLE_REQUEST_MAX_DELAY_MS 10000

typedef struct {
	guint serial; /* key in pg_purple_request_live */
	PurpleRequestType type;
	guint timer_id;
	gchar *signature;
	/* the callback that declines, and its argument */
	GCallback decline_cb;
	gint decline_index; /* action index, or a choice's value */
	PurpleRequestFields *fields;
	gpointer user_data;
} PgPurpleRequest;

typedef struct {
	gint64 answered_at; /* g_get_monotonic_time() of the last answer, µs */
	guint streak;       /* repeats in a row */
} PgPurpleRequestHistory;

/* signature -> PgPurpleRequestHistory (owned) */
static GHashTable *pg_purple_request_history;
/* serial -> PgPurpleRequest (borrowed: libpurple closes them), the open ones */
static GHashTable *pg_purple_request_live;
static guint pg_purple_request_next_serial;

/* Labels of a negative answer, in libpurple's own (English) wording;
 * compared without mnemonics, case-insensitively, and also in the
 * language libpurple's translations give. */
static const gchar *const pg_purple_request_negative[] = {
    "Reject", "Cancel", "No", "Deny", "Decline", "Refuse", "Close", NULL,
};

gboolean
pg_purple_request_label_is_negative(const gchar *label)
{
	g_autoptr(GString) plain = NULL;

	if (label == NULL)
		return FALSE;
	plain = g_string_new(NULL);
	for (const gchar *p = label; *p != '\0'; p++)
		if (*p != '_')
			g_string_append_c(plain, *p);
	for (guint i = 0; pg_purple_request_negative[i] != NULL; i++) {
		const gchar *word = pg_purple_request_negative[i];
		const gchar *translated = g_dgettext("pidgin", word);

		if (g_ascii_strcasecmp(plain->str, word) == 0 ||
		    g_strcmp0(plain->str, translated) == 0)
			return TRUE;
	}
	return FALSE;
}

gint
pg_purple_request_pick_decline(const gchar *const *labels, gsize count)
{
	for (gsize i = 0; i < count; i++)
		if (pg_purple_request_label_is_negative(labels[i]))
			return (gint)i;
	/* no negative answer offered: a plugin that only says "OK" is told
	 * "OK", the one way to make it go on */
	return count > 0 ? (gint)count - 1 : -1;
}

static void
pg_purple_request_free(PgPurpleRequest *request)
{
	g_hash_table_remove(pg_purple_request_live, GUINT_TO_POINTER(request->serial));
	g_clear_handle_id(&request->timer_id, g_source_remove);
	g_free(request->signature);
	g_free(request);
}

static gboolean
pg_purple_request_answer_cb(gpointer user_data)
{
	PgPurpleRequest *request = user_data;
	PgPurpleRequestHistory *history =
	    g_hash_table_lookup(pg_purple_request_history, request->signature);
	PurpleRequestType type = request->type;
	gpointer serial = GUINT_TO_POINTER(request->serial);

	request->timer_id = 0;
	if (history != NULL)
		history->answered_at = g_get_monotonic_time();
	if (request->decline_cb != NULL) {
		switch (request->type) {
		case PURPLE_REQUEST_ACTION:
			((PurpleRequestActionCb)request->decline_cb)(request->user_data,
								     request->decline_index);
			break;
		case PURPLE_REQUEST_CHOICE:
			((PurpleRequestChoiceCb)request->decline_cb)(request->user_data,
								     request->decline_index);
			break;
		case PURPLE_REQUEST_INPUT:
			((PurpleRequestInputCb)request->decline_cb)(request->user_data, NULL);
			break;
		case PURPLE_REQUEST_FIELDS:
			((PurpleRequestFieldsCb)request->decline_cb)(request->user_data,
								     request->fields);
			break;
		default:
			break;
		}
	}
	/* The callback may have closed @request already (the certificate
	 * prompt's answer ends its verification, which closes every prompt of
	 * it) and asked again, possibly at the same address: only a request
	 * still open under its serial is closed here.  purple_request_close()
	 * calls our close_request, which frees it. */
	if (g_hash_table_lookup(pg_purple_request_live, serial) == request)
		purple_request_close(type, request);
	return G_SOURCE_REMOVE;
}

static PgPurpleRequest *
pg_purple_request_new(PurpleRequestType type, const gchar *title, const gchar *primary,
		      GCallback decline_cb, gpointer user_data)
{
	PgPurpleRequest *request = g_new0(PgPurpleRequest, 1);
	PgPurpleRequestHistory *history;
	gint64 now = g_get_monotonic_time();
	guint delay = 0;

	request->serial = ++pg_purple_request_next_serial;
	g_hash_table_insert(pg_purple_request_live, GUINT_TO_POINTER(request->serial), request);
	request->type = type;
	request->decline_cb = decline_cb;
	request->user_data = user_data;
	request->signature = g_strdup_printf("%d\x1f%s\x1f%s", type, title != NULL ? title : "",
					     primary != NULL ? primary : "");
	history = g_hash_table_lookup(pg_purple_request_history, request->signature);
	if (history == NULL) {
		history = g_new0(PgPurpleRequestHistory, 1);
		g_hash_table_insert(pg_purple_request_history, g_strdup(request->signature),
				    history);
	} else if (now - history->answered_at < PG_PURPLE_REQUEST_REPEAT_MS * G_TIME_SPAN_MILLISECOND) {
		history->streak++;
	} else {
		history->streak = 0;
	}
	if (history->streak > 0) {
		guint shift = MIN(history->streak - 1, 16);
		delay = MIN(PG_PURPLE_REQUEST_FIRST_DELAY_MS << shift,
			    PG_PURPLE_REQUEST_MAX_DELAY_MS);
	}
	if (history->streak == 0)
		g_message("declining a libpurple prompt nobody can answer: %s%s%s",
			  title != NULL ? title : "", title != NULL && primary != NULL ? ": " : "",
			  primary != NULL ? primary : "");
	else if ((history->streak & (history->streak - 1)) == 0)
		g_warning("the same libpurple prompt came back %u times in a row (%s); "
			  "answering it after %u ms",
			  history->streak, title != NULL ? title : "", delay);
	request->timer_id = g_timeout_add(delay, pg_purple_request_answer_cb, request);
	return request;
}

static void *
pg_purple_request_input(const char *title, const char *primary, const char *secondary,
			const char *default_value, gboolean multiline, gboolean masked, gchar *hint,
			const char *ok_text, GCallback ok_cb, const char *cancel_text,
			GCallback cancel_cb, PurpleAccount *account, const char *who,
			PurpleConversation *conv, void *user_data)
{
	return pg_purple_request_new(PURPLE_REQUEST_INPUT, title, primary, cancel_cb, user_data);
}

static void *
pg_purple_request_choice(const char *title, const char *primary, const char *secondary,
			 int default_value, const char *ok_text, GCallback ok_cb,
			 const char *cancel_text, GCallback cancel_cb, PurpleAccount *account,
			 const char *who, PurpleConversation *conv, void *user_data, va_list choices)
{
	PgPurpleRequest *request =
	    pg_purple_request_new(PURPLE_REQUEST_CHOICE, title, primary, cancel_cb, user_data);

	request->decline_index = default_value;
	return request;
}

static void *
pg_purple_request_action(const char *title, const char *primary, const char *secondary,
			 int default_action, PurpleAccount *account, const char *who,
			 PurpleConversation *conv, void *user_data, size_t action_count,
			 va_list actions)
{
	g_autofree const gchar **labels = g_new0(const gchar *, action_count + 1);
	g_autofree GCallback *callbacks = g_new0(GCallback, action_count + 1);
	PgPurpleRequest *request;
	gint pick;

	for (size_t i = 0; i < action_count; i++) {
		labels[i] = va_arg(actions, const gchar *);
		callbacks[i] = va_arg(actions, GCallback);
	}
	pick = pg_purple_request_pick_decline(labels, action_count);
	request = pg_purple_request_new(PURPLE_REQUEST_ACTION, title, primary,
					pick >= 0 ? callbacks[pick] : NULL, user_data);
	request->decline_index = MAX(pick, 0);
	return request;
}

static void *
pg_purple_request_fields(const char *title, const char *primary, const char *secondary,
			 PurpleRequestFields *fields, const char *ok_text, GCallback ok_cb,
			 const char *cancel_text, GCallback cancel_cb, PurpleAccount *account,
			 const char *who, PurpleConversation *conv, void *user_data)
{
	PgPurpleRequest *request =
	    pg_purple_request_new(PURPLE_REQUEST_FIELDS, title, primary, cancel_cb, user_data);

	request->fields = fields;
	return request;
}

static void
pg_purple_request_close(PurpleRequestType type, void *ui_handle)
{
	pg_purple_request_free(ui_handle);
}

static PurpleRequestUiOps pg_purple_request_ops = {
    .request_input = pg_purple_request_input,
    .request_choice = pg_purple_request_choice,
    .request_action = pg_purple_request_action,
    .request_fields = pg_purple_request_fields,
    .close_request = pg_purple_request_close,
};

void
pg_purple_request_init(void)
{
	pg_purple_request_history = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	pg_purple_request_live = g_hash_table_new(g_direct_hash, g_direct_equal);
	purple_request_set_ui_ops(&pg_purple_request_ops);
}

void
pg_purple_request_shutdown(void)
{
	g_clear_pointer(&pg_purple_request_history, g_hash_table_unref);
	g_clear_pointer(&pg_purple_request_live, g_hash_table_unref);
}
