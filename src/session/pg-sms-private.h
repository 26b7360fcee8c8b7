/* What pg-sms.c (the outbox, Kannel's callbacks) and pg-sms-kept.c (what
 * waits while the XMPP server is away) share.  Private to src/session/. */
#pragma once

#include "http/pg-http.h"
#include "registry/pg-sms-inbox.h"
#include "registry/pg-sms-queue.h"
#include "session/pg-session-private.h"

G_BEGIN_DECLS

struct _PgSms {
	PgSessionManager *manager;
	PgRegistry *registry;
	PgHttp *http;
	guint pump_id;
	guint sweep_id;
	gboolean draining;   /* stopping: nothing new goes to the SMS gateway */
	gboolean delivering; /* pg-sms-kept.c sends the inbox's items */
	guint deliver_id;    /* an idle delivery of the inbox (pg-sms-kept.c) */
};

/* pg-sms-stanzas.c */
gint64 pg_sms_now(void);
/* Whether @transport's network sends through the outbox (PG_NETWORK_OUTBOX). */
gboolean pg_sms_serves(PgTransport *transport);
/* Returns: (transfer full) "+number@transport" */
gchar *pg_sms_contact_jid(PgTransport *transport, const gchar *number);
void pg_sms_offer_contact(PgTransport *transport, PgSession *session, const gchar *user_jid,
			  const gchar *contact_jid);
/* A message error about a text the user sent, now. */
void pg_sms_send_error_now(PgSessionManager *manager, PgTransport *transport,
			   const PgSmsMessage *msg, const gchar *condition, const gchar *type,
			   const gchar *text);
void pg_sms_send_receipt(PgTransport *transport, const gchar *user_jid, const gchar *recipient,
			 const gchar *xmpp_id);

/* pg-sms-kept.c */
typedef enum {
	PG_SMS_SEND_NOW, /* send the stanza now */
	PG_SMS_KEPT,     /* kept in the inbox: send nothing now */
	PG_SMS_NOT_KEPT, /* it had to be kept and could not be (logged) */
} PgSmsKeep;

PgSmsKeep pg_sms_keep(PgSms *self, PgTransport *transport, const gchar *user_jid,
		      PgSmsInboxKind kind, const gchar *peer, const gchar *body,
		      const gchar *xmpp_id, const gchar *condition, const gchar *error_type);

G_END_DECLS
