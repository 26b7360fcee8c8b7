/* The SMS inbox: what Kannel handed us that the user could not be told yet
 * (schema v4, table sms_inbox).
 *
 * Kannel calls the daemon back for an inbound SMS (get-url) and for a
 * delivery report (dlr-url).  When the XMPP component is disconnected, the
 * stanza for it has nowhere to go; the item is kept here instead, before
 * Kannel gets its answer, and delivered once the component is back
 * (src/session/pg-sms.c).  Items of one (transport, user) come out in the
 * order they went in (ascending id, never reused).
 *
 *   PG_SMS_INBOX_SMS      an inbound SMS: peer = the sender, body = the text
 *   PG_SMS_INBOX_RECEIPT  a delivery report: peer = the recipient, body = the
 *                         XMPP id of the user's message (XEP-0184 receipt)
 *   PG_SMS_INBOX_FAILURE  an error about a text the user sent: peer = the
 *                         recipient, body = the error text, xmpp_id = the
 *                         user's message id, condition/error_type = the
 *                         RFC 6120 §8.3 condition and type
 *
 * SECRECY: the body is sealed with the vault (AES-256-GCM) under associated
 * data "sms-in\0transport\0user_jid\0kind\0peer\0id", as the outbox seals
 * its texts (pg-sms-queue.h): a sealed body moved to another row fails to
 * open.  pg_registry_rekey() reseals it with everything else.
 *
 * Same threading rule as PgRegistry: one thread.
 */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"
#include "registry/pg-registry.h"

G_BEGIN_DECLS

/* Items kept per (transport, user): past it pg_sms_inbox_put() refuses with
 * PG_ERROR_RESOURCE_CONSTRAINT, and Kannel gets a 5xx for the callback. */
#define PG_SMS_INBOX_MAX_PER_USER 1000

typedef enum {
	PG_SMS_INBOX_SMS,
	PG_SMS_INBOX_RECEIPT,
	PG_SMS_INBOX_FAILURE,
} PgSmsInboxKind;

typedef struct {
	gint64 id;
	gchar *transport;
	gchar *user_jid;
	PgSmsInboxKind kind;
	gchar *peer;        /* E.164 */
	PgSecret *body;     /* see above, by kind */
	gchar *xmpp_id;     /* FAILURE: the user's message id, or NULL */
	gchar *condition;   /* FAILURE: e.g. "recipient-unavailable", or NULL */
	gchar *error_type;  /* FAILURE: "cancel", "wait"..., or NULL */
	gint64 created_at;  /* Unix seconds: when Kannel handed it over */
} PgSmsInboxItem;

void pg_sms_inbox_item_free(PgSmsInboxItem *item);

/* Keeps an item, committed before it returns (WAL: it survives a crash of
 * the process).  @xmpp_id, @condition and @error_type may be NULL.
 * Returns: the item's id, or 0 with @error set. */
gint64 pg_sms_inbox_put(PgRegistry *registry, const gchar *transport, const gchar *user_jid,
			PgSmsInboxKind kind, const gchar *peer, const gchar *body,
			const gchar *xmpp_id, const gchar *condition, const gchar *error_type,
			gint64 now, GError **error);

/* The items of @transport (and @user_jid, or every user if NULL), oldest
 * first, at most @limit (0 = all).  An item whose body does not unseal is
 * deleted with a warning, so that it cannot hold back the ones behind it.
 * Returns: (transfer full) (element-type PgSmsInboxItem), or NULL on error. */
GPtrArray *pg_sms_inbox_list(PgRegistry *registry, const gchar *transport,
			     const gchar *user_jid, guint limit,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Forgets item @id (delivered).  Deleting an unknown id is not an error. */
gboolean pg_sms_inbox_delete(PgRegistry *registry, gint64 id, GError **error);

/* Items of @transport and @user_jid (each NULL = any); -1 on error. */
gint64 pg_sms_inbox_count(PgRegistry *registry, const gchar *transport, const gchar *user_jid,
			  GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgSmsInboxItem, pg_sms_inbox_item_free)

G_END_DECLS
