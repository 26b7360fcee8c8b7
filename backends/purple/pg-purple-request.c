/* libpurple prompts (PurpleRequestUiOps): to the user, or declined.
 *
 * DESIGN: a plugin asks (accept this certificate? enter the code we sent
 * you) and waits for the UI to call one of the callbacks it gave.
 *
 * To the user: a prompt that belongs to one of our accounts goes to the
 * daemon as a request event (src/ipc/pg-ipc-message.h: action, choice or
 * input) and stays open until the answer command comes.  The account is the
 * one libpurple names, else, for prompts libpurple asks with no account
 * (the certificate prompt of certificate.c, x509_tls_cached_user_auth, has
 * none), the one account that is logging in: with two or more, nobody
 * can tell whose prompt it is and it is declined.  A fields prompt goes
 * as an input when it has exactly one text or number field to fill;
 * anything richer is declined for now.  The daemon decides how long the
 * user has, and answers "declined" itself when that is over; an account
 * that logs out declines its open prompts.
 *
 * Declined: every other prompt, from a timer, never from inside the call
 * that asked (libpurple's dialogs are asynchronous and plugins are written
 * for that).  Declining means the negative answer, found by its label: an
 * action prompt's "Reject"/"Cancel"/"No"/... (GTK "_" mnemonics removed),
 * the cancel callback of input, choice and fields prompts.  Never simply
 * the last action: the certificate prompt offers Accept, Reject and
 * "View Certificate...", and the last one re-opens the same prompt at once.
 * Taking it was issue 9's storm: prpl-jabber asked ~23,000 times a second,
 * the log grew by 347 MB in 100 s, and the login never ended.
 *
 * No prompt may loop anyway, whatever a plugin does with the answer: a
 * declined prompt equal (type, title, primary text) to one answered less
 * than PG_PURPLE_REQUEST_REPEAT_MS ago is a repeat, and each repeat in a
 * row doubles the wait before the answer, up to
 * PG_PURPLE_REQUEST_MAX_DELAY_MS.  The log says the first prompt of a
 * streak and then only the 2nd, 4th, 8th... repeat, so a loop costs a few
 * lines, not a disk.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <string.h>

#include "core/pg-error.h"
#include "pg-purple-request.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

#define PG_PURPLE_REQUEST_REPEAT_MS 1000
#define PG_PURPLE_REQUEST_FIRST_DELAY_MS 100
#define PG_PURPLE_REQUEST_MAX_DELAY_MS 10000

typedef struct {
	guint serial; /* key in pg_purple_request_live; the IPC "prompt" */
	PurpleRequestType type;
	guint timer_id;
	gchar *signature;
	gchar *account; /* the daemon's key when the user was asked, else NULL */
	gpointer user_data;
	/* action: one callback per label; choice: one value per label */
	GPtrArray *labels;
	GArray *callbacks; /* GCallback */
	GArray *values;    /* gint */
	GCallback ok_cb;
	GCallback cancel_cb;
	gint decline_index; /* action index, or the choice value on cancel */
	gchar *default_text;
	PurpleRequestFields *fields;
	PurpleRequestField *text_field; /* the one field an input answer fills */
} PgPurpleRequest;

typedef struct {
	gint64 answered_at; /* g_get_monotonic_time() of the last answer, µs */
	guint streak;       /* repeats in a row */
} PgPurpleRequestHistory;

/* signature -> PgPurpleRequestHistory (owned) */
static GHashTable *pg_purple_request_history;
/* serial -> PgPurpleRequest (libpurple closes them, close_request frees) */
static GHashTable *pg_purple_request_live;
static guint pg_purple_request_next_serial;
/* while a user's answer runs the plugin's callback: that user's account */
static const gchar *pg_purple_request_answering;

/* Labels of a negative answer, in libpurple's own (English) wording;
 * compared without mnemonics, case-insensitively, and also in the
 * language libpurple's translations give. */
static const gchar *const pg_purple_request_negative[] = {
    "Reject", "Cancel", "No", "Deny", "Decline", "Refuse", "Close", NULL,
};

static gchar *
pg_purple_request_strip_mnemonics(const gchar *label)
{
	GString *plain = g_string_new(NULL);

	for (const gchar *p = label; *p != '\0'; p++)
		if (*p != '_')
			g_string_append_c(plain, *p);
	return g_string_free(plain, FALSE);
}

gboolean
pg_purple_request_label_is_negative(const gchar *label)
{
	g_autofree gchar *plain = NULL;

	if (label == NULL)
		return FALSE;
	plain = pg_purple_request_strip_mnemonics(label);
	for (guint i = 0; pg_purple_request_negative[i] != NULL; i++) {
		const gchar *word = pg_purple_request_negative[i];

		if (g_ascii_strcasecmp(plain, word) == 0 ||
		    g_strcmp0(plain, g_dgettext("pidgin", word)) == 0)
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
	g_free(request->account);
	g_clear_pointer(&request->labels, g_ptr_array_unref);
	g_clear_pointer(&request->callbacks, g_array_unref);
	g_clear_pointer(&request->values, g_array_unref);
	g_free(request->default_text);
	g_free(request);
}

static PgPurpleRequest *
pg_purple_request_alloc(PurpleRequestType type, const gchar *title, const gchar *primary,
			gpointer user_data)
{
	PgPurpleRequest *request = g_new0(PgPurpleRequest, 1);

	request->serial = ++pg_purple_request_next_serial;
	g_hash_table_insert(pg_purple_request_live, GUINT_TO_POINTER(request->serial), request);
	request->type = type;
	request->user_data = user_data;
	request->labels = g_ptr_array_new_with_free_func(g_free);
	request->callbacks = g_array_new(FALSE, TRUE, sizeof(GCallback));
	request->values = g_array_new(FALSE, TRUE, sizeof(gint));
	request->signature = g_strdup_printf("%d\x1f%s\x1f%s", type, title != NULL ? title : "",
					     primary != NULL ? primary : "");
	return request;
}

/* Call the plugin back: @choice (an index into labels) or @text, or the
 * negative answer when both are absent (choice < 0, text NULL).  Then close
 * the request, unless the callback did that already. */
static void
pg_purple_request_finish(PgPurpleRequest *request, gint choice, const gchar *text)
{
	PurpleRequestType type = request->type;
	gpointer serial = GUINT_TO_POINTER(request->serial);
	gboolean declined = choice < 0 && text == NULL;

	g_clear_handle_id(&request->timer_id, g_source_remove);
	switch (type) {
	case PURPLE_REQUEST_ACTION: {
		gint index = declined ? request->decline_index : choice;
		if (index >= 0 && (guint)index < request->callbacks->len) {
			GCallback cb = g_array_index(request->callbacks, GCallback, index);
			if (cb != NULL)
				((PurpleRequestActionCb)cb)(request->user_data, index);
		}
		break;
	}
	case PURPLE_REQUEST_CHOICE:
		if (declined) {
			if (request->cancel_cb != NULL)
				((PurpleRequestChoiceCb)request->cancel_cb)(
				    request->user_data, request->decline_index);
		} else if (choice >= 0 && (guint)choice < request->values->len &&
			   request->ok_cb != NULL) {
			((PurpleRequestChoiceCb)request->ok_cb)(
			    request->user_data, g_array_index(request->values, gint, choice));
		}
		break;
	case PURPLE_REQUEST_INPUT:
		if (declined || text == NULL) {
			if (request->cancel_cb != NULL)
				((PurpleRequestInputCb)request->cancel_cb)(request->user_data,
									   request->default_text);
		} else if (request->ok_cb != NULL) {
			((PurpleRequestInputCb)request->ok_cb)(request->user_data, text);
		}
		break;
	case PURPLE_REQUEST_FIELDS:
		if (declined || text == NULL || request->text_field == NULL) {
			if (request->cancel_cb != NULL)
				((PurpleRequestFieldsCb)request->cancel_cb)(request->user_data,
									    request->fields);
			break;
		}
		if (purple_request_field_get_type(request->text_field) ==
		    PURPLE_REQUEST_FIELD_INTEGER)
			purple_request_field_int_set_value(request->text_field,
							   (int)g_ascii_strtoll(text, NULL, 10));
		else
			purple_request_field_string_set_value(request->text_field, text);
		if (request->ok_cb != NULL)
			((PurpleRequestFieldsCb)request->ok_cb)(request->user_data,
								request->fields);
		break;
	default:
		break;
	}
	/* The callback may have closed @request already (the certificate
	 * prompt's answer ends its verification, which closes every prompt of
	 * it) and asked again, possibly at the same address: only a request
	 * still open under its serial is closed here.  purple_request_close()
	 * calls our close_request, which frees it. */
	if (g_hash_table_lookup(pg_purple_request_live, serial) == request)
		purple_request_close(type, request);
}

static gboolean
pg_purple_request_decline_cb(gpointer user_data)
{
	PgPurpleRequest *request = user_data;
	PgPurpleRequestHistory *history =
	    g_hash_table_lookup(pg_purple_request_history, request->signature);

	request->timer_id = 0;
	if (history != NULL)
		history->answered_at = g_get_monotonic_time();
	pg_purple_request_finish(request, -1, NULL);
	return G_SOURCE_REMOVE;
}

/* Decline @request from a timer, later each time it comes back (DESIGN). */
static void
pg_purple_request_decline_later(PgPurpleRequest *request, const gchar *title,
				const gchar *primary)
{
	PgPurpleRequestHistory *history =
	    g_hash_table_lookup(pg_purple_request_history, request->signature);
	gint64 now = g_get_monotonic_time();
	guint delay = 0;

	if (history == NULL) {
		/* bounded: forgetting old streaks only costs a log line each */
		if (g_hash_table_size(pg_purple_request_history) >= 256)
			g_hash_table_remove_all(pg_purple_request_history);
		history = g_new0(PgPurpleRequestHistory, 1);
		g_hash_table_insert(pg_purple_request_history, g_strdup(request->signature),
				    history);
	} else if (now - history->answered_at <
		   PG_PURPLE_REQUEST_REPEAT_MS * G_TIME_SPAN_MILLISECOND) {
		history->streak++;
	} else {
		history->streak = 0;
	}
	if (history->streak > 0)
		delay = MIN(PG_PURPLE_REQUEST_FIRST_DELAY_MS << MIN(history->streak - 1, 16),
			    PG_PURPLE_REQUEST_MAX_DELAY_MS);
	if (history->streak == 0)
		g_message("declining a libpurple prompt nobody can answer: %s%s%s",
			  title != NULL ? title : "", title != NULL && primary != NULL ? ": " : "",
			  primary != NULL ? primary : "");
	else if ((history->streak & (history->streak - 1)) == 0)
		g_warning("the same libpurple prompt came back %u times in a row (%s); "
			  "answering it after %u ms",
			  history->streak, title != NULL ? title : "", delay);
	request->timer_id = g_timeout_add(delay, pg_purple_request_decline_cb, request);
}

/* The host a connection of @account verifies a certificate for: the
 * connect_server option if set (prpl-jabber names the certificate by it),
 * else the part of the username after its last '@'. */
static gchar *
pg_purple_request_account_host(PurpleAccount *account)
{
	const gchar *server = purple_account_get_string(account, "connect_server", NULL);
	const gchar *username = purple_account_get_username(account);
	const gchar *at = username != NULL ? strrchr(username, '@') : NULL;

	if (server != NULL && server[0] != '\0')
		return g_strdup(server);
	if (at == NULL)
		return NULL;
	/* prpl-jabber's username ends with its resource */
	return g_strndup(at + 1, strcspn(at + 1, "/"));
}

/* Whose prompt it is: see DESIGN.  NULL if nobody's.  A prompt with no
 * account is taken for a certificate prompt (the only kind libpurple asks
 * without one) and its primary text, in libpurple's own wording, must
 * name the host of exactly one account that is logging in: two accounts
 * of one worker verifying the same host at once cannot be told apart, and
 * no user is asked to trust a server for another. */
static PgPurpleAccount *
pg_purple_request_owner(PurpleAccount *account, const gchar *primary)
{
	PgPurpleWorker *worker = pg_purple_worker_get();
	const gchar *format = g_dgettext("pidgin", "Accept certificate for %s?");
	PgPurpleAccount *owner = NULL;
	GHashTableIter iter;
	gpointer value;

	if (account != NULL)
		return pg_purple_worker_lookup(account);
	if (primary == NULL)
		return NULL;
	g_hash_table_iter_init(&iter, worker->accounts);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgPurpleAccount *entry = value;
		g_autofree gchar *host = NULL;
		g_autofree gchar *expected = NULL;

		if (entry->state != PG_PURPLE_LOGIN_CONNECTING)
			continue;
		host = pg_purple_request_account_host(entry->account);
		if (host == NULL)
			continue;
		/* libpurple's own (translatable) wording, with one %s */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		expected = g_strdup_printf(format, host);
#pragma GCC diagnostic pop
		if (g_ascii_strcasecmp(expected, primary) != 0)
			continue;
		if (owner != NULL)
			return NULL; /* two logins to one host: whose is it? */
		owner = entry;
	}
	return owner;
}

/* Ask the user (through the daemon) if the prompt is someone's, else
 * decline it later.  Returns @request, libpurple's handle for it. */
static PgPurpleRequest *
pg_purple_request_submit(PgPurpleRequest *request, PurpleAccount *account, const gchar *type,
			 const gchar *title, const gchar *primary, const gchar *secondary,
			 gboolean masked)
{
	PgPurpleAccount *owner = type != NULL ? pg_purple_request_owner(account, primary) : NULL;
	GVariant *choices = NULL;

	if (owner == NULL) {
		pg_purple_request_decline_later(request, title, primary);
		return request;
	}
	request->account = g_strdup(owner->key);
	if (request->labels->len > 0) {
		GVariantBuilder builder;
		g_variant_builder_init(&builder, G_VARIANT_TYPE("as"));
		for (guint i = 0; i < request->labels->len; i++)
			g_variant_builder_add_value(
			    &builder, pg_purple_text_new(g_ptr_array_index(request->labels, i)));
		choices = g_variant_builder_end(&builder);
	}
	g_message("asking the user of %s: %s", owner->key, title != NULL ? title : "(no title)");
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_REQUEST, 0, "account", pg_purple_text_new(owner->key), "prompt",
	    g_variant_new_uint32(request->serial), "type", g_variant_new_string(type), "title",
	    pg_purple_text_new(title != NULL ? title : ""), "primary",
	    primary != NULL ? pg_purple_text_new(primary) : NULL, "secondary",
	    secondary != NULL ? pg_purple_text_new(secondary) : NULL, "choices", choices,
	    "masked", masked ? g_variant_new_boolean(TRUE) : NULL, NULL));
	return request;
}

static void *
pg_purple_request_input(const char *title, const char *primary, const char *secondary,
			const char *default_value, gboolean multiline, gboolean masked, gchar *hint,
			const char *ok_text, GCallback ok_cb, const char *cancel_text,
			GCallback cancel_cb, PurpleAccount *account, const char *who,
			PurpleConversation *conv, void *user_data)
{
	PgPurpleRequest *request =
	    pg_purple_request_alloc(PURPLE_REQUEST_INPUT, title, primary, user_data);

	request->ok_cb = ok_cb;
	request->cancel_cb = cancel_cb;
	request->default_text = g_strdup(default_value);
	return pg_purple_request_submit(request, account, "input", title, primary, secondary,
					masked);
}

static void *
pg_purple_request_choice(const char *title, const char *primary, const char *secondary,
			 int default_value, const char *ok_text, GCallback ok_cb,
			 const char *cancel_text, GCallback cancel_cb, PurpleAccount *account,
			 const char *who, PurpleConversation *conv, void *user_data, va_list choices)
{
	PgPurpleRequest *request =
	    pg_purple_request_alloc(PURPLE_REQUEST_CHOICE, title, primary, user_data);
	const gchar *label;

	/* (label, value) pairs up to a NULL label (request.h) */
	while ((label = va_arg(choices, const gchar *)) != NULL) {
		gint value = va_arg(choices, gint);
		g_ptr_array_add(request->labels, g_strdup(label));
		g_array_append_val(request->values, value);
	}
	request->ok_cb = ok_cb;
	request->cancel_cb = cancel_cb;
	request->decline_index = default_value;
	return pg_purple_request_submit(request, account, "choice", title, primary, secondary,
					FALSE);
}

static void *
pg_purple_request_action(const char *title, const char *primary, const char *secondary,
			 int default_action, PurpleAccount *account, const char *who,
			 PurpleConversation *conv, void *user_data, size_t action_count,
			 va_list actions)
{
	PgPurpleRequest *request =
	    pg_purple_request_alloc(PURPLE_REQUEST_ACTION, title, primary, user_data);

	for (size_t i = 0; i < action_count; i++) {
		const gchar *label = va_arg(actions, const gchar *);
		GCallback cb = va_arg(actions, GCallback);
		g_ptr_array_add(request->labels,
				pg_purple_request_strip_mnemonics(label != NULL ? label : ""));
		g_array_append_val(request->callbacks, cb);
	}
	request->decline_index = pg_purple_request_pick_decline(
	    (const gchar *const *)request->labels->pdata, request->labels->len);
	return pg_purple_request_submit(request, account, "action", title, primary, secondary,
					FALSE);
}

/* The one text or number field a fields prompt wants filled, or NULL if it
 * wants none or more than one (or anything but text and numbers). */
static PurpleRequestField *
pg_purple_request_text_field(PurpleRequestFields *fields, gboolean *masked)
{
	PurpleRequestField *found = NULL;

	for (GList *g = purple_request_fields_get_groups(fields); g != NULL; g = g->next) {
		for (GList *f = purple_request_field_group_get_fields(g->data); f != NULL;
		     f = f->next) {
			PurpleRequestField *field = f->data;
			PurpleRequestFieldType type = purple_request_field_get_type(field);

			if (!purple_request_field_is_visible(field) ||
			    type == PURPLE_REQUEST_FIELD_LABEL)
				continue;
			if ((type != PURPLE_REQUEST_FIELD_STRING &&
			     type != PURPLE_REQUEST_FIELD_INTEGER) ||
			    found != NULL)
				return NULL;
			found = field;
		}
	}
	if (found != NULL && purple_request_field_get_type(found) == PURPLE_REQUEST_FIELD_STRING)
		*masked = purple_request_field_string_is_masked(found);
	return found;
}

static void *
pg_purple_request_fields(const char *title, const char *primary, const char *secondary,
			 PurpleRequestFields *fields, const char *ok_text, GCallback ok_cb,
			 const char *cancel_text, GCallback cancel_cb, PurpleAccount *account,
			 const char *who, PurpleConversation *conv, void *user_data)
{
	PgPurpleRequest *request =
	    pg_purple_request_alloc(PURPLE_REQUEST_FIELDS, title, primary, user_data);
	gboolean masked = FALSE;

	request->fields = fields;
	request->ok_cb = ok_cb;
	request->cancel_cb = cancel_cb;
	request->text_field = pg_purple_request_text_field(fields, &masked);
	return pg_purple_request_submit(request, account,
					request->text_field != NULL ? "input" : NULL, title,
					primary, secondary, masked);
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

gboolean
pg_purple_request_answer(const PgIpcMessage *msg, GError **error)
{
	const gchar *account = pg_ipc_message_get_string(msg, "account");
	guint32 serial = pg_ipc_message_get_uint32(msg, "prompt", 0);
	PgPurpleRequest *request =
	    g_hash_table_lookup(pg_purple_request_live, GUINT_TO_POINTER(serial));
	g_autoptr(PgSecret) text = pg_ipc_message_dup_secret(msg, "text");
	gint choice = -1;

	/* A prompt libpurple closed by itself (its connection went) while the
	 * user thought: nothing to do.  Not an error: the daemon takes any
	 * error during a login for the login's failure. */
	if (request == NULL) {
		g_debug("%s: prompt %u is closed already", account, serial);
		return TRUE;
	}
	/* only the account that was asked answers, and only once */
	if (request->account == NULL || g_strcmp0(request->account, account) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
			    "no open prompt %u for this account", serial);
		return FALSE;
	}
	if (pg_ipc_message_has_field(msg, "choice")) {
		guint32 index = pg_ipc_message_get_uint32(msg, "choice", 0);
		if (index >= request->labels->len) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "prompt %u has no choice %u", serial, index);
			return FALSE;
		}
		choice = (gint)index;
	}
	pg_purple_request_answering = account;
	pg_purple_request_finish(request, choice,
				 text != NULL ? pg_secret_get_string(text) : NULL);
	pg_purple_request_answering = NULL;
	return TRUE;
}

const gchar *
pg_purple_request_get_answering_account(void)
{
	return pg_purple_request_answering;
}

void
pg_purple_request_forget_account(const gchar *account)
{
	GHashTableIter iter;
	gpointer value;

	/* declined from a timer: the account is going away under us */
	g_hash_table_iter_init(&iter, pg_purple_request_live);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgPurpleRequest *request = value;
		if (g_strcmp0(request->account, account) != 0 || request->timer_id != 0)
			continue;
		g_clear_pointer(&request->account, g_free);
		request->timer_id = g_timeout_add(0, pg_purple_request_decline_cb, request);
	}
}

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
