/* XEP-0050 ad-hoc commands on a transport's domain.
 *
 * DESIGN
 * Each transport owns a PgAdhoc: the commands offered on its domain, in the
 * order they were added.  Discovery (§2) lists, under the node
 * 'http://jabber.org/protocol/commands', only what the requester may run;
 * execution (§3) is single-stage: the first request runs the command and
 * the reply is status='completed' with the command's text (see pg-adhoc.h).
 * A command with a form has two stages: the first reply asks the form
 * (status='executing'), and its session, remembered for its requester and
 * node (at most PG_ADHOC_MAX_SESSIONS, each PG_ADHOC_SESSION_TTL_S), is
 * the one sessionid accepted: its submission runs the command.  Any other
 * sessionid names a finished session.
 *
 * Who may run what: a bare JID listed in [polygate] admins runs everything;
 * anyone else must be a user account of a domain the transport serves
 * (allowed_domains) and runs the commands that are not admin_only.
 *
 * Errors (XEP-0050 §4.6; RFC 6120 §8.3.3; forbidden keeps the type 'auth'
 * that RFC 6120 §8.3.3.4 gives it and PG_ERROR maps it to, where XEP-0050's
 * table says 'cancel'):
 *   IQ not of type set, no node                    -> modify bad-request
 *   requester's domain not served by the transport -> auth forbidden
 *   no command at the node                         -> cancel item-not-found
 *   admin command, requester not an admin          -> auth forbidden
 *   unknown action                                 -> modify bad-request <malformed-action/>
 *   next/prev/complete (nothing to go on to)       -> modify bad-request <bad-action/>
 *   any sessionid except with cancel               -> cancel not-allowed <session-expired/>
 *   form not of type 'submit'                      -> modify bad-request <bad-payload/>
 *   the command fails                              -> the command's GError
 */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "xmpp/pg-adhoc.h"
#include "stanza/pg-form.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

typedef struct {
	gchar *node;
	gchar *name;
	gboolean admin_only;
	PgAdhocExecuteFunc execute;
	PgAdhocFormFunc form;
	gpointer user_data; /* borrowed */
} PgAdhocEntry;

#define PG_ADHOC_MAX_SESSIONS 1024
#define PG_ADHOC_SESSION_TTL_S 600

typedef struct {
	gchar *owner; /* "user_jid\nnode" */
	gint64 expires; /* g_get_monotonic_time() */
} PgAdhocSession;

struct _PgAdhoc {
	GPtrArray *commands; /* element-type PgAdhocEntry, in the order added */
	GHashTable *sessions; /* sessionid -> PgAdhocSession: forms asked, not yet submitted */
	gint64 created_at;   /* g_get_monotonic_time(), for the uptime 'ping' reports */
};

static void
pg_adhoc_entry_free(PgAdhocEntry *entry)
{
	g_free(entry->node);
	g_free(entry->name);
	g_free(entry);
}

static void
pg_adhoc_session_free(PgAdhocSession *session)
{
	g_free(session->owner);
	g_free(session);
}

PgAdhoc *
pg_adhoc_new(void)
{
	PgAdhoc *self = g_new0(PgAdhoc, 1);
	self->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)pg_adhoc_session_free);
	self->commands = g_ptr_array_new_with_free_func((GDestroyNotify)pg_adhoc_entry_free);
	self->created_at = g_get_monotonic_time();
	return self;
}

void
pg_adhoc_free(PgAdhoc *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref(self->commands);
	g_hash_table_unref(self->sessions);
	g_free(self);
}

static const PgAdhocEntry *
pg_adhoc_lookup(const PgAdhoc *self, const gchar *node, guint *index)
{
	for (guint i = 0; i < self->commands->len; i++) {
		const PgAdhocEntry *entry = g_ptr_array_index(self->commands, i);
		if (g_strcmp0(entry->node, node) == 0) {
			if (index != NULL)
				*index = i;
			return entry;
		}
	}
	return NULL;
}

void
pg_transport_add_command(PgTransport *self, const PgAdhocCommand *command, gpointer user_data)
{
	PgAdhocEntry *entry;

	g_return_if_fail(self != NULL && command != NULL);
	g_return_if_fail(command->node != NULL && command->node[0] != '\0');
	g_return_if_fail(command->name != NULL && command->execute != NULL);
	/* the commands node itself is the list (§2), never a command */
	g_return_if_fail(g_strcmp0(command->node, PG_NS_COMMANDS) != 0);
	g_return_if_fail(pg_adhoc_lookup(self->adhoc, command->node, NULL) == NULL);

	entry = g_new0(PgAdhocEntry, 1);
	entry->node = g_strdup(command->node);
	entry->name = g_strdup(command->name);
	entry->admin_only = command->admin_only;
	entry->execute = command->execute;
	entry->form = command->form;
	entry->user_data = user_data;
	g_ptr_array_add(self->adhoc->commands, entry);
}

gboolean
pg_transport_remove_command(PgTransport *self, const gchar *node)
{
	guint index = 0;

	g_return_val_if_fail(self != NULL && node != NULL, FALSE);
	if (pg_adhoc_lookup(self->adhoc, node, &index) == NULL)
		return FALSE;
	g_ptr_array_remove_index(self->adhoc->commands, index);
	return TRUE;
}

/* ---- who is asking ---- */

/* Returns: (transfer full) the requester's bare JID, or NULL with
 * PG_ERROR_FORBIDDEN if it may run no command here.  *@is_admin says whether
 * it may also run the admin commands. */
static gchar *
pg_adhoc_requester(PgTransport *self, xmpp_stanza_t *iq, gboolean *is_admin, GError **error)
{
	g_autoptr(PgJid) from = pg_jid_parse(xmpp_stanza_get_from(iq), NULL);

	*is_admin = from != NULL && pg_config_is_admin(self->config, from->bare);
	/* an operator's admin JID is trusted even outside allowed_domains */
	if (*is_admin)
		return g_strdup(from->bare);
	if (from == NULL || from->local == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_FORBIDDEN,
				    "only user accounts can run commands on this gateway");
		return NULL;
	}
	if (!pg_transport_config_allows_domain(self->transport, from->domain)) {
		g_set_error(error, PG_ERROR, PG_ERROR_FORBIDDEN,
			    "this gateway does not serve users of %s", from->domain);
		return NULL;
	}
	return g_strdup(from->bare);
}

static gboolean
pg_adhoc_entry_visible(const PgAdhocEntry *entry, gboolean is_admin)
{
	return !entry->admin_only || is_admin;
}

/* ---- replies ---- */

/* Returns: (transfer full) an error reply to @iq with the RFC 6120 condition
 * of @code and, if @specific is not NULL, the XEP-0050 §4.6 application
 * condition <@specific xmlns='http://jabber.org/protocol/commands'/> after it
 * (RFC 6120 §8.3.2: "an application-specific condition element MAY be
 * included"). */
static xmpp_stanza_t *
pg_adhoc_error_reply(xmpp_stanza_t *iq, PgErrorCode code, const gchar *specific,
		     const gchar *text)
{
	g_autoptr(GError) error = g_error_new_literal(PG_ERROR, code, text != NULL ? text : "");
	xmpp_stanza_t *reply = pg_stanza_error_reply(iq, error);
	xmpp_stanza_t *element;

	if (reply == NULL || specific == NULL)
		return reply;
	element = xmpp_stanza_get_child_by_name(reply, "error");
	if (element != NULL)
		pg_stanza_add_child(element, specific, PG_NS_COMMANDS);
	return reply;
}

/* Returns: (transfer full) a result carrying <command node sessionid status/>;
 * *@command is the (borrowed) <command/> element. */
static xmpp_stanza_t *
pg_adhoc_command_reply(xmpp_stanza_t *iq, const gchar *node, const gchar *sessionid,
		       const gchar *status, xmpp_stanza_t **command)
{
	xmpp_stanza_t *reply = pg_stanza_iq_result(iq);

	if (reply == NULL)
		return NULL;
	*command = pg_stanza_add_child(reply, "command", PG_NS_COMMANDS);
	xmpp_stanza_set_attribute(*command, "node", node);
	if (sessionid != NULL)
		xmpp_stanza_set_attribute(*command, "sessionid", sessionid);
	xmpp_stanza_set_attribute(*command, "status", status);
	return reply;
}

/* The first line of @text as the note (XEP-0050 §3.4 "notes"); every further
 * line as one value of a text-multi field of a result form (XEP-0004 §3.3:
 * text-multi carries "multiple lines of text", each in its own <value/>). */
static void
pg_adhoc_add_text(xmpp_stanza_t *command, const PgAdhocEntry *entry, const gchar *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	xmpp_stanza_t *note;
	xmpp_stanza_t *x;
	xmpp_stanza_t *field;
	guint n_lines = g_strv_length(lines);

	for (guint i = 0; i < n_lines; i++)
		g_strchomp(lines[i]); /* also drops the '\r' of "\r\n" */
	while (n_lines > 0 && lines[n_lines - 1][0] == '\0')
		n_lines--;
	if (n_lines == 0)
		return;
	note = pg_stanza_add_text_child(command, "note", lines[0]);
	xmpp_stanza_set_attribute(note, "type", "info");
	if (n_lines == 1)
		return;

	x = pg_stanza_add_child(command, "x", PG_NS_DATA);
	xmpp_stanza_set_type(x, "result");
	pg_stanza_add_text_child(x, "title", entry->name);
	field = pg_stanza_add_child(x, "field", NULL);
	xmpp_stanza_set_attribute(field, "var", "lines");
	xmpp_stanza_set_attribute(field, "type", "text-multi");
	xmpp_stanza_set_attribute(field, "label", entry->name);
	for (guint i = 1; i < n_lines; i++)
		pg_stanza_add_text_child(field, "value", lines[i]);
}

static gboolean
pg_adhoc_action_is_known(const gchar *action)
{
	/* XEP-0050 §4.1: the values of 'action' */
	static const gchar *const actions[] = {"execute", "cancel", "prev", "next", "complete"};
	for (gsize i = 0; i < G_N_ELEMENTS(actions); i++) {
		if (g_strcmp0(action, actions[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Remember @sessionid as the form session of @user_jid on @node. */
static void
pg_adhoc_session_open(PgAdhoc *self, const gchar *sessionid, const gchar *user_jid,
		      const gchar *node)
{
	PgAdhocSession *session = g_new0(PgAdhocSession, 1);
	gint64 now = g_get_monotonic_time();
	GHashTableIter iter;
	gpointer value;

	/* expired ones go; past the bound, all go (users ask again) */
	g_hash_table_iter_init(&iter, self->sessions);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		if (((PgAdhocSession *)value)->expires <= now)
			g_hash_table_iter_remove(&iter);
	if (g_hash_table_size(self->sessions) >= PG_ADHOC_MAX_SESSIONS)
		g_hash_table_remove_all(self->sessions);
	session->owner = g_strdup_printf("%s\n%s", user_jid, node);
	session->expires = now + PG_ADHOC_SESSION_TTL_S * G_TIME_SPAN_SECOND;
	g_hash_table_insert(self->sessions, g_strdup(sessionid), session);
}

/* TRUE (and forgotten) if @sessionid is an open form session of @user_jid
 * on @node. */
static gboolean
pg_adhoc_session_take(PgAdhoc *self, const gchar *sessionid, const gchar *user_jid,
		      const gchar *node)
{
	PgAdhocSession *session = g_hash_table_lookup(self->sessions, sessionid);
	g_autofree gchar *owner = g_strdup_printf("%s\n%s", user_jid, node);
	gboolean ok;

	if (session == NULL)
		return FALSE;
	ok = g_strcmp0(session->owner, owner) == 0 && session->expires > g_get_monotonic_time();
	if (ok)
		g_hash_table_remove(self->sessions, sessionid);
	return ok;
}

/* The first stage of a command with a form: ask it (§3.4: status
 * 'executing', with the one action that finishes it). */
static xmpp_stanza_t *
pg_adhoc_ask_form(PgTransport *self, xmpp_stanza_t *iq, const PgAdhocEntry *entry,
		  const gchar *user_jid)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sessionid = NULL;
	xmpp_stanza_t *form = entry->form(self, user_jid, entry->user_data, &error);
	xmpp_stanza_t *reply;
	xmpp_stanza_t *command = NULL;
	xmpp_stanza_t *actions;

	if (form == NULL) {
		if (error == NULL)
			g_set_error(&error, PG_ERROR, PG_ERROR_INTERNAL_SERVER_ERROR,
				    "the command %s failed", entry->node);
		return pg_stanza_error_reply(iq, error);
	}
	sessionid = g_uuid_string_random();
	reply = pg_adhoc_command_reply(iq, entry->node, sessionid, "executing", &command);
	if (reply == NULL) {
		xmpp_stanza_release(form);
		return NULL;
	}
	actions = pg_stanza_add_child(command, "actions", NULL);
	xmpp_stanza_set_attribute(actions, "execute", "complete");
	pg_stanza_add_child(actions, "complete", NULL);
	xmpp_stanza_add_child(command, form);
	xmpp_stanza_release(form);
	pg_adhoc_session_open(self->adhoc, sessionid, user_jid, entry->node);
	return reply;
}

xmpp_stanza_t *
pg_adhoc_reply(PgTransport *self, xmpp_stanza_t *iq)
{
	xmpp_stanza_t *request =
	    xmpp_stanza_get_child_by_name_and_ns(iq, "command", PG_NS_COMMANDS);
	xmpp_stanza_t *x;
	xmpp_stanza_t *command = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) values = NULL;
	g_autofree gchar *user_jid = NULL;
	g_autofree gchar *new_sessionid = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(xmpp_stanza_t) reply = NULL;
	const PgAdhocEntry *entry;
	const gchar *node;
	const gchar *action;
	const gchar *sessionid;
	gboolean is_admin = FALSE;

	if (xmpp_stanza_get_from(iq) == NULL)
		return NULL;
	/* XEP-0050 §3.1: "the requester ... sends an <iq/> of type 'set'" */
	if (g_strcmp0(xmpp_stanza_get_type(iq), "set") != 0 || request == NULL)
		return pg_adhoc_error_reply(iq, PG_ERROR_BAD_REQUEST, NULL,
					    "an ad-hoc command is an IQ of type set");
	node = xmpp_stanza_get_attribute(request, "node");
	if (node == NULL || node[0] == '\0')
		return pg_adhoc_error_reply(iq, PG_ERROR_BAD_REQUEST, NULL,
					    "the command has no node");
	user_jid = pg_adhoc_requester(self, iq, &is_admin, &error);
	if (user_jid == NULL)
		return pg_stanza_error_reply(iq, error);
	entry = pg_adhoc_lookup(self->adhoc, node, NULL);
	if (entry == NULL)
		return pg_adhoc_error_reply(iq, PG_ERROR_ITEM_NOT_FOUND, NULL,
					    "this gateway has no such command");
	if (!pg_adhoc_entry_visible(entry, is_admin))
		return pg_adhoc_error_reply(iq, PG_ERROR_FORBIDDEN, NULL,
					    "only the gateway's admins may run this command");

	/* §4.1: "If the 'action' attribute is not specified, it defaults to 'execute'" */
	action = xmpp_stanza_get_attribute(request, "action");
	if (action == NULL)
		action = "execute";
	sessionid = xmpp_stanza_get_attribute(request, "sessionid");
	if (!pg_adhoc_action_is_known(action))
		return pg_adhoc_error_reply(iq, PG_ERROR_BAD_REQUEST, "malformed-action",
					    "unknown action");
	/* §3.3: a canceled session ends with status='canceled'; there is never
	 * anything to undo, since no command here keeps state between stages */
	if (g_strcmp0(action, "cancel") == 0) {
		if (sessionid != NULL)
			(void)pg_adhoc_session_take(self->adhoc, sessionid, user_jid, node);
		reply = pg_adhoc_command_reply(iq, node, sessionid, "canceled", &command);
		return g_steal_pointer(&reply);
	}
	x = xmpp_stanza_get_child_by_name_and_ns(request, "x", PG_NS_DATA);
	if (sessionid != NULL) {
		/* only the form session we opened goes on, to its end */
		if (entry->form == NULL ||
		    !pg_adhoc_session_take(self->adhoc, sessionid, user_jid, node))
			return pg_adhoc_error_reply(iq, PG_ERROR_NOT_ALLOWED, "session-expired",
						    "this command session is already completed");
		if (g_strcmp0(action, "execute") != 0 && g_strcmp0(action, "complete") != 0)
			return pg_adhoc_error_reply(iq, PG_ERROR_BAD_REQUEST, "bad-action",
						    "complete the form");
		if (x == NULL)
			return pg_adhoc_error_reply(iq, PG_ERROR_BAD_REQUEST, "bad-payload",
						    "the form is missing");
	} else if (g_strcmp0(action, "execute") != 0) {
		return pg_adhoc_error_reply(iq, PG_ERROR_BAD_REQUEST, "bad-action",
					    "this command has a single stage: execute it");
	} else if (entry->form != NULL && x == NULL) {
		return pg_adhoc_ask_form(self, iq, entry, user_jid);
	}

	if (x != NULL) {
		values = pg_form_parse_submit(x, NULL, &error);
		if (values == NULL)
			return pg_adhoc_error_reply(iq, PG_ERROR_BAD_REQUEST, "bad-payload",
						    error->message);
	}

	g_info("%s: %s%s runs the command %s", self->transport->jid, user_jid,
	       is_admin ? " (admin)" : "", entry->node);
	text = entry->execute(self, user_jid, values, entry->user_data, &error);
	if (text == NULL) {
		if (error == NULL) /* a command that forgot its error */
			g_set_error(&error, PG_ERROR, PG_ERROR_INTERNAL_SERVER_ERROR,
				    "the command %s failed", entry->node);
		g_info("%s: the command %s failed: %s", self->transport->jid, entry->node,
		       error->message);
		return pg_stanza_error_reply(iq, error);
	}
	/* §3.4: the responder assigns the sessionid, unique for the requester */
	new_sessionid = sessionid != NULL ? g_strdup(sessionid) : g_uuid_string_random();
	reply = pg_adhoc_command_reply(iq, node, new_sessionid, "completed", &command);
	if (reply != NULL)
		pg_adhoc_add_text(command, entry, text);
	return g_steal_pointer(&reply);
}

void
pg_adhoc_handle_iq(PgTransport *self, xmpp_stanza_t *iq)
{
	g_autoptr(xmpp_stanza_t) reply = pg_adhoc_reply(self, iq);

	if (reply != NULL)
		pg_transport_send(self, reply);
}

/* ---- discovery (§2) ---- */

static xmpp_stanza_t *
pg_adhoc_add_identity(xmpp_stanza_t *query, const gchar *type, const gchar *name)
{
	xmpp_stanza_t *identity = pg_stanza_add_child(query, "identity", NULL);
	xmpp_stanza_set_attribute(identity, "category", "automation");
	xmpp_stanza_set_attribute(identity, "type", type);
	xmpp_stanza_set_attribute(identity, "name", name);
	return identity;
}

static void
pg_adhoc_add_feature(xmpp_stanza_t *query, const gchar *var)
{
	xmpp_stanza_t *feature = pg_stanza_add_child(query, "feature", NULL);
	xmpp_stanza_set_attribute(feature, "var", var);
}

xmpp_stanza_t *
pg_adhoc_disco_info_reply(PgTransport *self, xmpp_stanza_t *iq, const gchar *node)
{
	g_autoptr(xmpp_stanza_t) reply = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *user_jid = NULL;
	const PgAdhocEntry *entry = NULL;
	xmpp_stanza_t *query;
	gboolean is_admin = FALSE;

	if (g_strcmp0(node, PG_NS_COMMANDS) != 0) {
		entry = pg_adhoc_lookup(self->adhoc, node, NULL);
		if (entry == NULL)
			return pg_adhoc_error_reply(iq, PG_ERROR_ITEM_NOT_FOUND, NULL, NULL);
		user_jid = pg_adhoc_requester(self, iq, &is_admin, &error);
		if (user_jid == NULL)
			return pg_stanza_error_reply(iq, error);
		if (!pg_adhoc_entry_visible(entry, is_admin))
			return pg_adhoc_error_reply(iq, PG_ERROR_FORBIDDEN, NULL, NULL);
	}
	reply = pg_stanza_iq_result(iq);
	if (reply == NULL)
		return NULL;
	query = pg_stanza_add_child(reply, "query", PG_NS_DISCO_INFO);
	/* XEP-0030 §3.2: the result echoes the node */
	xmpp_stanza_set_attribute(query, "node", node);
	if (entry == NULL) {
		/* the registrar's automation/command-list: "valid only for the node
		 * 'http://jabber.org/protocol/commands'" */
		pg_adhoc_add_identity(query, "command-list", "Commands");
		pg_adhoc_add_feature(query, PG_NS_DISCO_ITEMS);
	} else {
		/* XEP-0050 §2.2: a command node is an automation/command-node that
		 * speaks commands and data forms */
		pg_adhoc_add_identity(query, "command-node", entry->name);
		pg_adhoc_add_feature(query, PG_NS_COMMANDS);
		pg_adhoc_add_feature(query, PG_NS_DATA);
	}
	return g_steal_pointer(&reply);
}

xmpp_stanza_t *
pg_adhoc_disco_items_reply(PgTransport *self, xmpp_stanza_t *iq, const gchar *node)
{
	g_autoptr(xmpp_stanza_t) reply = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *user_jid = NULL;
	xmpp_stanza_t *query;
	gboolean is_admin = FALSE;

	if (g_strcmp0(node, PG_NS_COMMANDS) != 0)
		return pg_adhoc_error_reply(iq, PG_ERROR_ITEM_NOT_FOUND, NULL, NULL);
	reply = pg_stanza_iq_result(iq);
	if (reply == NULL)
		return NULL;
	query = pg_stanza_add_child(reply, "query", PG_NS_DISCO_ITEMS);
	xmpp_stanza_set_attribute(query, "node", PG_NS_COMMANDS);
	/* XEP-0050 §2.1: list what the requester may run.  Someone the transport
	 * does not serve may run nothing: an empty list, not an error, since
	 * clients ask every entity they discover */
	user_jid = pg_adhoc_requester(self, iq, &is_admin, &error);
	if (user_jid == NULL)
		return g_steal_pointer(&reply);
	for (guint i = 0; i < self->adhoc->commands->len; i++) {
		const PgAdhocEntry *entry = g_ptr_array_index(self->adhoc->commands, i);
		xmpp_stanza_t *item;
		if (!pg_adhoc_entry_visible(entry, is_admin))
			continue;
		item = pg_stanza_add_child(query, "item", NULL);
		xmpp_stanza_set_attribute(item, "jid", self->transport->jid);
		xmpp_stanza_set_attribute(item, "node", entry->node);
		xmpp_stanza_set_attribute(item, "name", entry->name);
	}
	return g_steal_pointer(&reply);
}

/* ---- the built-in commands ---- */

static gchar *
pg_adhoc_ping_cb(PgTransport *transport, const gchar *user_jid, GHashTable *form_values,
		 gpointer user_data, GError **error)
{
	gint64 uptime = (g_get_monotonic_time() - transport->adhoc->created_at) / G_USEC_PER_SEC;

	return g_strdup_printf("pong from %s, up %" G_GINT64_FORMAT " s",
			       pg_transport_get_jid(transport), uptime);
}

static gchar *
pg_adhoc_registered_users_cb(PgTransport *transport, const gchar *user_jid,
			     GHashTable *form_values, gpointer user_data, GError **error)
{
	const gchar *jid = pg_transport_get_jid(transport);
	g_autoptr(GPtrArray) accounts = NULL;
	GString *text;

	accounts = pg_registry_list_accounts(transport->registry, jid, error);
	if (accounts == NULL) {
		g_prefix_error(error, "cannot list the users of %s: ", jid);
		return NULL;
	}
	text = g_string_new(NULL);
	g_string_printf(text, "%u registered user(s)", accounts->len);
	for (guint i = 0; i < accounts->len; i++) {
		const PgAccount *account = g_ptr_array_index(accounts, i);
		g_string_append_printf(text, "\n%s", account->user_jid);
	}
	return g_string_free(text, FALSE);
}

static const PgAdhocCommand pg_adhoc_builtin_commands[] = {
    {.node = "ping", .name = "Ping the gateway", .execute = pg_adhoc_ping_cb},
    {.node = "registered-users",
     .name = "List the registered users",
     .admin_only = TRUE,
     .execute = pg_adhoc_registered_users_cb},
};

void
pg_adhoc_add_builtin_commands(PgTransport *self)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_adhoc_builtin_commands); i++)
		pg_transport_add_command(self, &pg_adhoc_builtin_commands[i], NULL);
}
