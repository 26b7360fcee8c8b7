/* XEP-0184 message delivery receipts across the gateway.
 *
 * DESIGN: a receipt says a message "has been delivered to a client
 * controlled by the intended recipient" (XEP-0184 §1), so the gateway
 * never makes one up: it only carries the real one across, each way, and
 * only for a plugin whose worker can (PgProtocolInfo.receipts: prpl-jabber,
 * backends/purple/pg-purple-receipts.c).
 *   - User -> buddy: the user's message with <request/> and an id goes as
 *     send-im with a number (the link's counter); the worker asks the
 *     buddy's client for a receipt and reports receipt{number} when that
 *     client answers; the user gets <received id='the user's id'/> from
 *     the contact, at the full JID that asked.
 *   - Buddy -> user: a buddy's message that asked for a receipt arrives as
 *     im-received with the worker's number; the message to the user asks
 *     for a receipt itself, under an id of ours; when the user's client
 *     answers, the worker is told (receipt{number}) and only then answers
 *     the buddy.  This is stronger than "the gateway handed it to the
 *     user's server": a user whose clients do not answer receipts sends
 *     none, as XEP-0184 §5 expects, and a message the server keeps offline
 *     is confirmed when a client of the user really got it (while the
 *     worker still has the number).
 * Both tables are per link and bounded (PG_RECEIPTS_MAX each way): the
 * oldest entry is forgotten first.  A number the worker reports that the
 * link does not know (forgotten, forged, or for another contact) is
 * dropped: a worker can only ever confirm what the user sent through it.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include "session/pg-link.h"
#include "session/pg-receipts.h"
#include "stanza/pg-stanza.h"

typedef struct {
	gchar *who;       /* the legacy contact */
	gchar *user_jid;  /* outbound: the full JID that asked */
	gchar *stanza_id; /* outbound: the user's id; inbound: ours */
	guint32 number;   /* outbound: ours; inbound: the worker's */
} PgReceipt;

typedef struct {
	GHashTable *table; /* key -> PgReceipt (owned) */
	GQueue order;      /* keys, oldest first (borrowed from the table) */
} PgReceiptTable;

struct _PgReceipts {
	PgReceiptTable outbound; /* our number (GUINT_TO_POINTER) -> PgReceipt */
	PgReceiptTable inbound;  /* our stanza id -> PgReceipt */
	guint32 next_number;
};

static void
pg_receipt_free(PgReceipt *receipt)
{
	g_free(receipt->who);
	g_free(receipt->user_jid);
	g_free(receipt->stanza_id);
	g_free(receipt);
}

static void
pg_receipt_table_clear(PgReceiptTable *table)
{
	g_clear_pointer(&table->table, g_hash_table_unref);
	g_queue_clear(&table->order);
}

void
pg_receipts_free(PgReceipts *self)
{
	if (self == NULL)
		return;
	pg_receipt_table_clear(&self->outbound);
	pg_receipt_table_clear(&self->inbound);
	g_free(self);
}

static PgReceipts *
pg_receipts_ensure(PgLink *link)
{
	PgReceipts *self = link->receipts;

	if (self != NULL)
		return self;
	self = g_new0(PgReceipts, 1);
	self->outbound.table = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
						     (GDestroyNotify)pg_receipt_free);
	self->inbound.table = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						    (GDestroyNotify)pg_receipt_free);
	g_queue_init(&self->outbound.order);
	g_queue_init(&self->inbound.order);
	link->receipts = self;
	return self;
}

/* Keep @receipt under @key (owned by @receipt or a number), forgetting the
 * oldest entry past PG_RECEIPTS_MAX. */
static void
pg_receipt_table_add(PgReceiptTable *table, gpointer key, PgReceipt *receipt)
{
	if (g_queue_get_length(&table->order) >= PG_RECEIPTS_MAX)
		g_hash_table_remove(table->table, g_queue_pop_head(&table->order));
	g_hash_table_insert(table->table, key, receipt);
	g_queue_push_tail(&table->order, key);
}

/* Returns: (transfer full) the entry under @key if it is @who's, or NULL. */
static PgReceipt *
pg_receipt_table_take(PgReceiptTable *table, gconstpointer key, const gchar *who)
{
	gpointer stored_key;
	PgReceipt *receipt;

	if (table->table == NULL ||
	    !g_hash_table_lookup_extended(table->table, key, &stored_key, (gpointer *)&receipt) ||
	    g_strcmp0(receipt->who, who) != 0)
		return NULL;
	g_queue_remove(&table->order, stored_key);
	g_hash_table_steal(table->table, key);
	return receipt;
}

static gboolean
pg_receipts_supported(PgLink *link)
{
	return pg_network_receipts(pg_transport_get_config(link->session->transport));
}

guint32
pg_receipts_on_user_message(PgLink *link, xmpp_stanza_t *message, const gchar *who)
{
	const gchar *id = xmpp_stanza_get_id(message);
	const gchar *from = xmpp_stanza_get_from(message);
	PgReceipts *self;
	PgReceipt *receipt;

	/* XEP-0184 §5.4: a request needs an id to be answered */
	if (xmpp_stanza_get_child_by_name_and_ns(message, "request", PG_NS_RECEIPTS) == NULL ||
	    id == NULL || id[0] == '\0' || from == NULL || !pg_receipts_supported(link))
		return 0;
	self = pg_receipts_ensure(link);
	if (++self->next_number == 0)
		self->next_number = 1;
	receipt = g_new0(PgReceipt, 1);
	receipt->who = g_strdup(who);
	receipt->user_jid = g_strdup(from);
	receipt->stanza_id = g_strdup(id);
	receipt->number = self->next_number;
	/* a number still waiting from 2^32 messages ago is replaced */
	g_queue_remove(&self->outbound.order, GUINT_TO_POINTER(receipt->number));
	pg_receipt_table_add(&self->outbound, GUINT_TO_POINTER(receipt->number), receipt);
	return receipt->number;
}

void
pg_receipts_on_event(PgLink *link, const PgIpcMessage *msg)
{
	const gchar *who = pg_ipc_message_get_string(msg, "from");
	guint32 number = pg_ipc_message_get_uint32(msg, "receipt", 0);
	PgReceipt *receipt = NULL;
	g_autofree gchar *contact = NULL;
	xmpp_stanza_t *reply;
	xmpp_stanza_t *received;

	if (link->receipts != NULL)
		receipt = pg_receipt_table_take(&link->receipts->outbound,
						GUINT_TO_POINTER(number), who);
	if (receipt == NULL) {
		g_debug("%s: a receipt for no message we wait for", link->account);
		return;
	}
	contact = pg_session_contact_jid(link, receipt->who);
	/* XEP-0184 §4: <received id/> from the recipient to the sender */
	reply = xmpp_message_new(pg_session_ctx(link->session), NULL, receipt->user_jid, NULL);
	pg_stanza_set_from(reply, contact);
	received = pg_stanza_add_child(reply, "received", PG_NS_RECEIPTS);
	pg_stanza_set_attribute(received, "id", receipt->stanza_id);
	pg_receipt_free(receipt);
	pg_session_send(link->session, reply);
}

void
pg_receipts_on_im(PgLink *link, const PgIpcMessage *msg, xmpp_stanza_t *message)
{
	guint32 number = pg_ipc_message_get_uint32(msg, "receipt", 0);
	g_autofree gchar *uuid = NULL;
	PgReceipt *receipt;

	if (number == 0 || !pg_receipts_supported(link))
		return;
	uuid = g_uuid_string_random();
	receipt = g_new0(PgReceipt, 1);
	receipt->who = g_strdup(pg_ipc_message_get_string(msg, "from"));
	receipt->stanza_id = g_strconcat("pg-receipt-", uuid, NULL);
	receipt->number = number;
	xmpp_stanza_set_id(message, receipt->stanza_id);
	pg_stanza_add_child(message, "request", PG_NS_RECEIPTS);
	pg_receipt_table_add(&pg_receipts_ensure(link)->inbound, receipt->stanza_id, receipt);
}

gboolean
pg_receipts_on_user_receipt(PgLink *link, xmpp_stanza_t *message, const gchar *who)
{
	xmpp_stanza_t *received =
	    xmpp_stanza_get_child_by_name_and_ns(message, "received", PG_NS_RECEIPTS);
	const gchar *id = received != NULL ? xmpp_stanza_get_attribute(received, "id") : NULL;
	PgReceipt *receipt = NULL;

	if (received == NULL)
		return FALSE;
	if (id != NULL && link->receipts != NULL)
		receipt = pg_receipt_table_take(&link->receipts->inbound, id, who);
	if (receipt == NULL)
		return TRUE;
	pg_link_command(link,
			pg_ipc_message_new(PG_IPC_CMD_RECEIPT, 0, "account",
					   g_variant_new_string(link->account), "to",
					   g_variant_new_string(who), "receipt",
					   g_variant_new_uint32(receipt->number), NULL),
			NULL);
	pg_receipt_free(receipt);
	return TRUE;
}
