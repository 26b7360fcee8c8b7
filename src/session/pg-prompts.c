/* Questions a legacy network asks the user: libpurple prompts (issue 9).
 *
 * DESIGN: the worker turns a libpurple prompt (accept this server
 * certificate? enter the code we sent you) into a request event
 * (src/ipc/pg-ipc-message.h; backends/purple/pg-purple-request.c); the
 * plugin waits for the answer, and so does the login.  Here the request
 * becomes a chat message from the transport's own JID to the user, with
 * numbered answers (or "answer with the text" for an input): every client
 * can show and answer that.  The user's next chat message to the
 * transport's JID answers the oldest open question of that user; a
 * message that is no valid answer gets a hint and the question stays.
 *
 * Guarantees:
 * - Nothing waits for ever: without an answer within the transport's
 *   prompt_timeout the worker is told "declined" and the user is told
 *   why the login failed.
 * - While a question is open, the link's login timeout is off (the user,
 *   not the server, is slow); it starts again from zero once the last
 *   question of the link is answered.
 * - Answers go straight to the worker, never into the link's queue of
 *   commands that wait for the login to finish (the login waits for them).
 * - A question dies with its link (pg_prompts_forget_link); the worker
 *   declines what a logged-out account was asked.
 * - Questions live on their link (PgLink.prompts), so every user sees and
 *   answers only their own, and a link has at most PG_PROMPTS_MAX_OPEN open
 *   at once: a worker cannot bury a user in questions (one more is
 *   declined at once).
 *
 * Clients with XEP-0050 ad-hoc commands get the same question as a form:
 * the command "answer-question" asks the oldest open question (a
 * list-single of the choices, or a text field, text-private when masked)
 * and its submission answers it.  The form names its question by link
 * and prompt number in a hidden field, so an answer can only reach a
 * question of the user who submits it, and a question answered meanwhile
 * (by chat, or by its timeout) is not answered twice.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-session"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-link.h"
#include "session/pg-prompts.h"
#include "session/pg-session-private.h"
#include "xmpp/pg-adhoc.h"
#include "stanza/pg-form.h"
#include "stanza/pg-stanza.h"

#define PG_PROMPTS_MAX_OPEN 8
/* A worker is untrusted: a question's texts are cut to these bytes, and one
 * with more choices than a person reads in a chat message (or of a type
 * that is none of the three) is declined at once: cutting the list could
 * hide the one choice that matters. */
#define PG_PROMPTS_TEXT_MAX    2048
#define PG_PROMPTS_CHOICE_MAX  256
#define PG_PROMPTS_CHOICES_MAX 32

typedef struct {
	PgLink *link; /* owns us */
	guint32 prompt;
	gchar *type; /* action | choice | input */
	gchar *title;
	gchar *text; /* primary and secondary, for the ad-hoc form */
	gboolean masked;
	GStrv choices;
	guint timeout_id;
	gint64 asked_at; /* order among the user's questions */
} PgPrompt;

static void
pg_prompt_free(PgPrompt *prompt)
{
	g_clear_handle_id(&prompt->timeout_id, g_source_remove);
	g_free(prompt->type);
	g_free(prompt->title);
	g_free(prompt->text);
	g_strfreev(prompt->choices);
	g_free(prompt);
}

static void
pg_prompts_tell(PgSession *session, const gchar *text)
{
	xmpp_stanza_t *message =
	    xmpp_message_new(pg_session_ctx(session), "chat", session->user_jid, NULL);

	/* from the transport's JID (pg_transport_send) */
	pg_stanza_set_body(message, text);
	pg_session_send(session, message);
}

/* Tell the worker; @choice < 0 and @text NULL decline. */
static void
pg_prompts_answer(PgPrompt *prompt, gint choice, const gchar *text)
{
	PgLink *link = prompt->link;
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSecret) secret = text != NULL ? pg_secret_new_from_string(text) : NULL;
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_CMD_ANSWER, 0, "account", g_variant_new_string(link->account), "prompt",
	    g_variant_new_uint32(prompt->prompt), "choice",
	    choice >= 0 ? g_variant_new_uint32((guint32)choice) : NULL, "text",
	    secret != NULL ? pg_ipc_variant_new_secret(secret) : NULL, NULL);

	/* straight to the worker: see DESIGN (it borrows @msg) */
	if (!pg_supervisor_send(link->session->manager->supervisor, link->account, msg, &error))
		g_message("%s: cannot answer prompt %u: %s", link->account, prompt->prompt,
			  error->message);
}

/* Take @prompt off its link and free it; with no question left on a link
 * that is still logging in, the login timeout starts again. */
static void
pg_prompts_close(PgPrompt *prompt)
{
	PgLink *link = prompt->link;

	g_queue_remove(link->prompts, prompt);
	pg_prompt_free(prompt);
	if (g_queue_is_empty(link->prompts) && link->state == PG_LINK_CONNECTING)
		pg_link_arm_login_timeout(link);
}

static gboolean
pg_prompts_timeout_cb(gpointer user_data)
{
	PgPrompt *prompt = user_data;
	PgSession *session = prompt->link->session;
	guint timeout = pg_transport_get_config(session->transport)->prompt_timeout;
	g_autofree gchar *text = g_strdup_printf(
	    "No answer to \"%s\" within %u s: declined.", prompt->title, timeout);

	prompt->timeout_id = 0;
	pg_prompts_tell(session, text);
	pg_prompts_answer(prompt, -1, NULL);
	pg_prompts_close(prompt);
	return G_SOURCE_REMOVE;
}

gchar *
pg_prompts_render(const gchar *title, const gchar *primary, const gchar *secondary,
		  const gchar *type, const gchar *const *choices, gboolean masked, guint timeout)
{
	GString *text = g_string_new(NULL);

	g_string_append_printf(text, "Question from the legacy network: %s", title);
	if (primary != NULL && primary[0] != '\0')
		g_string_append_printf(text, "\n%s", primary);
	if (secondary != NULL && secondary[0] != '\0')
		g_string_append_printf(text, "\n%s", secondary);
	if (g_strcmp0(type, "input") == 0) {
		g_string_append(text, "\nAnswer with the text, or with \"cancel\" to decline.");
		if (masked)
			g_string_append(text, " The answer is secret: it travels as a chat "
					      "message through your XMPP server.");
	} else {
		g_string_append(text, "\nAnswer with the number of your choice (or with the "
				      "ad-hoc command \"Answer the legacy network's question\"):");
		for (guint i = 0; choices != NULL && choices[i] != NULL; i++)
			g_string_append_printf(text, "\n%u. %s", i + 1, choices[i]);
	}
	g_string_append_printf(text, "\nWithout an answer within %u s it is declined.", timeout);
	return g_string_free(text, FALSE);
}

gint
pg_prompts_parse_choice(const gchar *body, const gchar *const *choices)
{
	g_autofree gchar *answer = g_strstrip(g_strdup(body));
	guint n = choices != NULL ? g_strv_length((gchar **)choices) : 0;
	guint64 number;

	if (g_ascii_string_to_unsigned(answer, 10, 1, MAX(n, 1), &number, NULL) && n > 0)
		return (gint)number - 1;
	/* the label itself, as a user may type it */
	for (guint i = 0; i < n; i++)
		if (g_utf8_collate(answer, choices[i]) == 0 ||
		    g_ascii_strcasecmp(answer, choices[i]) == 0)
			return (gint)i;
	return -1;
}

/* @text (nullable; valid UTF-8, the contract says) cut to at most @max
 * bytes on a character boundary.  Returns: (transfer full) (nullable) */
static gchar *
pg_prompts_cut(const gchar *text, gsize max)
{
	const gchar *end;

	if (text == NULL || strlen(text) <= max)
		return g_strdup(text);
	end = text + max;
	while (end > text && (*(const guchar *)end & 0xC0) == 0x80)
		end--;
	return g_strndup(text, end - text);
}

void
pg_prompts_on_request(PgLink *link, const PgIpcMessage *msg)
{
	PgSession *session = link->session;
	guint timeout = pg_transport_get_config(session->transport)->prompt_timeout;
	const gchar *type = pg_ipc_message_get_string(msg, "type");
	g_autoptr(GVariant) choices = pg_ipc_message_get_value(msg, "choices");
	g_autofree gchar *primary =
	    pg_prompts_cut(pg_ipc_message_get_string(msg, "primary"), PG_PROMPTS_TEXT_MAX);
	g_autofree gchar *secondary =
	    pg_prompts_cut(pg_ipc_message_get_string(msg, "secondary"), PG_PROMPTS_TEXT_MAX);
	g_autofree gchar *text = NULL;
	gboolean known_type =
	    g_strv_contains((const gchar *const[]){"action", "choice", "input", NULL}, type);
	PgPrompt *prompt;

	prompt = g_new0(PgPrompt, 1);
	prompt->link = link;
	prompt->prompt = pg_ipc_message_get_uint32(msg, "prompt", 0);
	prompt->type = g_strdup(type);
	prompt->title =
	    pg_prompts_cut(pg_ipc_message_get_string(msg, "title"), PG_PROMPTS_TEXT_MAX);
	prompt->choices = choices != NULL ? g_variant_dup_strv(choices, NULL) : NULL;
	for (guint i = 0; prompt->choices != NULL && prompt->choices[i] != NULL; i++) {
		gchar *cut = pg_prompts_cut(prompt->choices[i], PG_PROMPTS_CHOICE_MAX);
		g_free(prompt->choices[i]);
		prompt->choices[i] = cut;
	}
	prompt->asked_at = g_get_monotonic_time();
	prompt->masked = pg_ipc_message_get_boolean(msg, "masked", FALSE);
	prompt->text = g_strjoin("\n", primary != NULL ? primary : "",
				 secondary != NULL ? secondary : "", NULL);
	g_strstrip(prompt->text);
	/* a question nobody could answer, one too many, or one past what a
	 * worker may ask (see the bounds above) is declined now */
	if (!known_type ||
	    (g_strcmp0(type, "input") != 0 &&
	     (prompt->choices == NULL || prompt->choices[0] == NULL)) ||
	    (prompt->choices != NULL &&
	     g_strv_length(prompt->choices) > PG_PROMPTS_CHOICES_MAX) ||
	    (link->prompts != NULL && g_queue_get_length(link->prompts) >= PG_PROMPTS_MAX_OPEN)) {
		g_message("%s: declining prompt %u at once", link->account, prompt->prompt);
		pg_prompts_answer(prompt, -1, NULL);
		pg_prompt_free(prompt);
		return;
	}
	if (link->prompts == NULL)
		link->prompts = g_queue_new();
	g_queue_push_tail(link->prompts, prompt);
	/* the user, not the server, is slow now: see DESIGN */
	g_clear_handle_id(&link->login_timeout_id, g_source_remove);
	prompt->timeout_id = g_timeout_add_seconds(timeout, pg_prompts_timeout_cb, prompt);
	text = pg_prompts_render(prompt->title, primary, secondary, type,
				 (const gchar *const *)prompt->choices,
				 pg_ipc_message_get_boolean(msg, "masked", FALSE), timeout);
	pg_prompts_tell(session, text);
}

/* The oldest open question of @session, NULL if none. */
static PgPrompt *
pg_prompts_oldest(PgSession *session)
{
	PgPrompt *oldest = NULL;
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgLink *link = value;
		PgPrompt *head = link->prompts != NULL ? g_queue_peek_head(link->prompts) : NULL;
		if (head != NULL && (oldest == NULL || head->asked_at < oldest->asked_at))
			oldest = head;
	}
	return oldest;
}

gboolean
pg_prompts_on_reply(PgSession *session, const gchar *body)
{
	PgPrompt *prompt = session != NULL ? pg_prompts_oldest(session) : NULL;
	g_autofree gchar *answer = NULL;
	gint choice;

	if (prompt == NULL || body == NULL)
		return FALSE;
	answer = g_strstrip(g_strdup(body));
	if (g_strcmp0(prompt->type, "input") == 0) {
		if (g_ascii_strcasecmp(answer, "cancel") == 0) {
			pg_prompts_answer(prompt, -1, NULL);
			pg_prompts_tell(session, "Declined.");
		} else {
			pg_prompts_answer(prompt, -1, body);
		}
		/* the answer may be a secret: wipe our copy */
		explicit_bzero(answer, strlen(answer));
		pg_prompts_close(prompt);
		return TRUE;
	}
	choice = pg_prompts_parse_choice(answer, (const gchar *const *)prompt->choices);
	if (choice < 0) {
		g_autofree gchar *hint =
		    g_strdup_printf("Answer \"%s\" with a number from 1 to %u.", prompt->title,
				    g_strv_length(prompt->choices));
		pg_prompts_tell(session, hint);
		return TRUE;
	}
	pg_prompts_answer(prompt, choice, NULL);
	pg_prompts_close(prompt);
	return TRUE;
}

void
pg_prompts_forget_link(PgLink *link)
{
	if (link->prompts == NULL)
		return;
	g_queue_free_full(g_steal_pointer(&link->prompts), (GDestroyNotify)pg_prompt_free);
}

/* XEP-0050: the ad-hoc command "answer-question" ---------------------------- */

#define PG_PROMPTS_FIELD_QUESTION "question"
#define PG_PROMPTS_FIELD_ANSWER "answer"

static PgSession *
pg_prompts_session(PgTransport *transport, const gchar *user_jid, gpointer user_data)
{
	return pg_session_lookup(user_data, user_jid, transport);
}

xmpp_stanza_t *
pg_prompts_command_form_cb(PgTransport *transport, const gchar *user_jid, gpointer user_data,
			   GError **error)
{
	PgSession *session = pg_prompts_session(transport, user_jid, user_data);
	PgPrompt *prompt = session != NULL ? pg_prompts_oldest(session) : NULL;
	g_autoptr(PgForm) form = NULL;
	g_autofree gchar *question = NULL;
	xmpp_stanza_t *x;
	gboolean input;

	if (prompt == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "no question of the legacy network waits for an answer");
		return NULL;
	}
	input = g_strcmp0(prompt->type, "input") == 0;
	/* "<prompt>#<account>": the number has no '#', the account may */
	question = g_strdup_printf("%u#%s", prompt->prompt, prompt->link->account);
	form = pg_form_new("form", NULL, prompt->title,
			   prompt->text[0] != '\0' ? prompt->text : prompt->title);
	pg_form_add_field(form, PG_PROMPTS_FIELD_QUESTION, "hidden", NULL, FALSE, question);
	pg_form_add_field(form, PG_PROMPTS_FIELD_ANSWER,
			  !input ? "list-single" : prompt->masked ? "text-private" : "text-single",
			  "Answer", TRUE, NULL);
	x = pg_form_to_stanza(form, pg_session_ctx(session));
	if (!input) {
		/* XEP-0004 §3.3: list-single offers <option label=''><value/></option> */
		for (xmpp_stanza_t *field = xmpp_stanza_get_children(x); field != NULL;
		     field = xmpp_stanza_get_next(field)) {
			if (g_strcmp0(xmpp_stanza_get_attribute(field, "var"),
				      PG_PROMPTS_FIELD_ANSWER) != 0)
				continue;
			for (guint i = 0; prompt->choices[i] != NULL; i++) {
				g_autofree gchar *value = g_strdup_printf("%u", i + 1);
				xmpp_stanza_t *option = pg_stanza_add_child(field, "option", NULL);
				xmpp_stanza_set_attribute(option, "label", prompt->choices[i]);
				pg_stanza_add_text_child(option, "value", value);
			}
		}
	}
	return x;
}

gchar *
pg_prompts_command_answer_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSession *session = pg_prompts_session(transport, user_jid, user_data);
	const gchar *question =
	    form_values != NULL ? g_hash_table_lookup(form_values, PG_PROMPTS_FIELD_QUESTION) : NULL;
	const gchar *answer =
	    form_values != NULL ? g_hash_table_lookup(form_values, PG_PROMPTS_FIELD_ANSWER) : NULL;
	g_auto(GStrv) parts = question != NULL ? g_strsplit(question, "#", 2) : NULL;
	PgLink *link = NULL;
	PgPrompt *prompt = NULL;
	GHashTableIter iter;
	gpointer value;
	guint64 number;
	gint choice;

	if (session == NULL || parts == NULL || g_strv_length(parts) != 2 || answer == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "the form names no question, or has no answer");
		return NULL;
	}
	/* only a link of the submitting user's own session */
	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		if (g_strcmp0(((PgLink *)value)->account, parts[1]) == 0)
			link = value;
	number = g_ascii_strtoull(parts[0], NULL, 10);
	for (GList *l = link != NULL && link->prompts != NULL ? link->prompts->head : NULL;
	     l != NULL; l = l->next)
		if (((PgPrompt *)l->data)->prompt == number)
			prompt = l->data;
	if (prompt == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "that question was answered or declined already");
		return NULL;
	}
	if (g_strcmp0(prompt->type, "input") == 0) {
		pg_prompts_answer(prompt, -1, answer);
		pg_prompts_close(prompt);
		return g_strdup("Answered.");
	}
	choice = pg_prompts_parse_choice(answer, (const gchar *const *)prompt->choices);
	if (choice < 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "\"%s\" is none of the choices", answer);
		return NULL;
	}
	pg_prompts_answer(prompt, choice, NULL);
	g_autofree gchar *done = g_strdup_printf("Answered: %s.", prompt->choices[choice]);
	pg_prompts_close(prompt);
	return g_steal_pointer(&done);
}
