/* The user's ad-hoc command (XEP-0050) about the roster ladder: which rung
 * brings the legacy contacts to the roster now (pg-roster-ladder.c), why a
 * better one is not used, and a re-sync on demand (a contact dropped from
 * the roster by hand, or by another tool, comes back).
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "core/pg-error.h"
#include "session/pg-roster-command.h"
#include "session/pg-roster-ladder.h"
#include "stanza/pg-form.h"

static const gchar *
pg_roster_ladder_describe(PgRosterMode mode)
{
	switch (mode) {
	case PG_ROSTER_MODE_PRIVILEGED:
		return "the gateway writes your roster (XEP-0356 privileged entity)";
	case PG_ROSTER_MODE_EXCHANGE:
		return "your client is offered the contacts (XEP-0144 roster item exchange)";
	case PG_ROSTER_MODE_SUBSCRIBE:
	default:
		return "each contact asks you to add it (subscription requests)";
	}
}

static xmpp_stanza_t *
pg_roster_ladder_form_cb(PgTransport *transport, const gchar *user_jid, gpointer user_data,
			 GError **error)
{
	PgSession *session = pg_session_lookup(user_data, user_jid, transport);
	g_autoptr(PgForm) form = NULL;
	g_autofree gchar *instructions = NULL;
	PgRosterMode mode;

	if (session == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND,
				    "you have no connection on this gateway; go online first");
		return NULL;
	}
	mode = pg_roster_ladder_mode(session);
	instructions = g_strdup_printf("Your legacy contacts reach your roster by %s: %s.",
				       pg_roster_mode_to_string(mode),
				       pg_roster_ladder_describe(mode));
	form = pg_form_new("form", NULL, "Contact list", instructions);
	pg_form_add_field(form, "mode", "fixed", "Mode", FALSE, pg_roster_mode_to_string(mode));
	pg_form_add_field(form, "resync", "boolean", "Send the contact list to my roster again",
			  FALSE, "0");
	return pg_form_to_stanza(form, pg_session_ctx(session));
}

static gchar *
pg_roster_ladder_command_cb(PgTransport *transport, const gchar *user_jid,
			    GHashTable *form_values, gpointer user_data, GError **error)
{
	PgSession *session = pg_session_lookup(user_data, user_jid, transport);
	const gchar *resync =
	    form_values != NULL ? g_hash_table_lookup(form_values, "resync") : NULL;
	GString *text;
	PgRosterMode mode;

	if (session == NULL)
		return g_strdup("You have no connection on this gateway; go online first.");
	mode = pg_roster_ladder_mode(session);
	text = g_string_new(NULL);
	g_string_append_printf(text, "Roster mode: %s (%s).", pg_roster_mode_to_string(mode),
			       pg_roster_ladder_describe(mode));
	if (session->roster_failure != NULL)
		g_string_append_printf(text, " The server refused privileged roster pushes (%s).",
				       session->roster_failure);
	if (g_strcmp0(resync, "1") == 0 || g_strcmp0(resync, "true") == 0) {
		GHashTableIter iter;
		gpointer value;
		guint n = 0;

		g_hash_table_iter_init(&iter, session->links);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			n += pg_roster_ladder_sync(value);
		g_string_append_printf(text, " Re-sync started for %u contact(s).", n);
	}
	return g_string_free(text, FALSE);
}

const PgAdhocCommand pg_roster_command = {
    .node = "roster",
    .name = "Contact list: mode and re-sync",
    .form = pg_roster_ladder_form_cb,
    .execute = pg_roster_ladder_command_cb,
};
