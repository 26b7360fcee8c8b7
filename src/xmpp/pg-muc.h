/* XEP-0045 stanzas the gateway sends as a MUC service for legacy rooms.
 * Pure builders: every function returns (transfer full) a stanza ready for
 * pg_transport_send(). */
#pragma once

#include <glib.h>
#include <strophe.h>

G_BEGIN_DECLS

#define PG_NS_MUC "http://jabber.org/protocol/muc"
#define PG_NS_MUC_USER "http://jabber.org/protocol/muc#user"

/* XEP-0045 §15.6 status codes used here */
#define PG_MUC_STATUS_BANNED 301
#define PG_MUC_STATUS_SELF 110
#define PG_MUC_STATUS_NICK_ASSIGNED 210
#define PG_MUC_STATUS_NICK_CHANGED 303
#define PG_MUC_STATUS_KICKED 307
#define PG_MUC_STATUS_SHUTDOWN 332

/* Legacy occupant flags (IRC: founder, op, halfop, voice) -> MUC affiliation/role. */
void pg_muc_flags_to_role(const gchar *flags, const gchar **affiliation, const gchar **role);

/* Occupant presence from @room_jid/@nick to @to.  @type NULL or "unavailable";
 * @statuses a 0-terminated list (may be NULL); @new_nick for 303. */
xmpp_stanza_t *pg_muc_occupant_presence(xmpp_ctx_t *ctx, const gchar *room_jid,
					const gchar *nick, const gchar *to, const gchar *type,
					const gchar *affiliation, const gchar *role,
					const gint *statuses, const gchar *new_nick,
					const gchar *reason);
/* A groupchat message from @room_jid[/@nick] (no nick: from the room itself). */
xmpp_stanza_t *pg_muc_message(xmpp_ctx_t *ctx, const gchar *room_jid, const gchar *nick,
			      const gchar *to, const gchar *body, const gchar *id);
/* XEP-0045 §7.2.15: the subject, always sent after the occupant list. */
xmpp_stanza_t *pg_muc_subject(xmpp_ctx_t *ctx, const gchar *room_jid, const gchar *by,
			      const gchar *to, const gchar *subject);

G_END_DECLS
