/* XEP-0045 stanza builders for legacy rooms (IRC channels). */
#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include <string.h>

#include "xmpp/pg-muc.h"
#include "stanza/pg-stanza.h"

void
pg_muc_flags_to_role(const gchar *flags, const gchar **affiliation, const gchar **role)
{
	g_auto(GStrv) parts = g_strsplit(flags != NULL ? flags : "", ",", -1);

	/* XEP-0045 §5: IRC founders own, ops administer and moderate, voiced and
	 * everyone else participate (an unmoderated channel lets all speak) */
	*affiliation = "none";
	*role = "participant";
	if (g_strv_contains((const gchar *const *)parts, "founder")) {
		*affiliation = "owner";
		*role = "moderator";
	} else if (g_strv_contains((const gchar *const *)parts, "op")) {
		*affiliation = "admin";
		*role = "moderator";
	} else if (g_strv_contains((const gchar *const *)parts, "halfop")) {
		*affiliation = "member";
		*role = "moderator";
	} else if (g_strv_contains((const gchar *const *)parts, "voice")) {
		*affiliation = "member";
	}
}

xmpp_stanza_t *
pg_muc_occupant_presence(xmpp_ctx_t *ctx, const gchar *room_jid, const gchar *nick,
			 const gchar *to, const gchar *type, const gchar *affiliation,
			 const gchar *role, const gint *statuses, const gchar *new_nick,
			 const gchar *reason)
{
	xmpp_stanza_t *presence = xmpp_presence_new(ctx);
	g_autofree gchar *from = g_strdup_printf("%s/%s", room_jid, nick);
	xmpp_stanza_t *x;
	xmpp_stanza_t *item;

	pg_stanza_set_from(presence, from);
	pg_stanza_set_to(presence, to);
	if (type != NULL)
		xmpp_stanza_set_type(presence, type);
	x = pg_stanza_add_child(presence, "x", PG_NS_MUC_USER);
	item = pg_stanza_add_child(x, "item", NULL);
	xmpp_stanza_set_attribute(item, "affiliation", affiliation != NULL ? affiliation : "none");
	xmpp_stanza_set_attribute(item, "role", role != NULL ? role : "participant");
	if (new_nick != NULL)
		pg_stanza_set_name_attribute(item, "nick", new_nick);
	if (reason != NULL && reason[0] != '\0')
		pg_stanza_add_text_child(item, "reason", reason);
	for (guint i = 0; statuses != NULL && statuses[i] != 0; i++) {
		xmpp_stanza_t *status = pg_stanza_add_child(x, "status", NULL);
		g_autofree gchar *code = g_strdup_printf("%d", statuses[i]);
		xmpp_stanza_set_attribute(status, "code", code);
	}
	return presence;
}

xmpp_stanza_t *
pg_muc_message(xmpp_ctx_t *ctx, const gchar *room_jid, const gchar *nick, const gchar *to,
	       const gchar *body, const gchar *id)
{
	g_autofree gchar *from =
	    nick != NULL ? g_strdup_printf("%s/%s", room_jid, nick) : g_strdup(room_jid);
	xmpp_stanza_t *message = xmpp_message_new(ctx, "groupchat", to, id);

	pg_stanza_set_from(message, from);
	pg_stanza_set_body(message, body);
	return message;
}

xmpp_stanza_t *
pg_muc_subject(xmpp_ctx_t *ctx, const gchar *room_jid, const gchar *by, const gchar *to,
	       const gchar *subject)
{
	g_autofree gchar *from =
	    by != NULL && by[0] != '\0' ? g_strdup_printf("%s/%s", room_jid, by) : g_strdup(room_jid);
	xmpp_stanza_t *message = xmpp_message_new(ctx, "groupchat", to, NULL);

	pg_stanza_set_from(message, from);
	/* an empty <subject/> clears it (XEP-0045 §8.1) */
	pg_stanza_add_text_child(message, "subject", subject);
	return message;
}
