/* XEP-0184 message delivery receipts through prpl-jabber.
 *
 * DESIGN: libpurple 2.14 has no delivery callback, and prpl-jabber neither
 * asks for nor reads receipts (jabber/message.c knows no
 * urn:xmpp:receipts).  It does let a UI see and change every stanza: it
 * emits "jabber-sending-xmlnode" (PurpleConnection *, xmlnode **) for each
 * stanza it sends, and its own handler, connected at
 * PURPLE_SIGNAL_PRIORITY_HIGHEST, writes it, so a handler at the default
 * priority runs first; and "jabber-receiving-xmlnode" for each stanza it
 * reads, before it parses it (jabber/jabber.c, jabber/parser.c).  So:
 *   - send-im with a number arms the send; the first <message/> with a
 *     body that prpl-jabber then sends on that account gets <request/>
 *     (XEP-0184 §5.2) and its id is kept with the number.  The buddy's
 *     client answers <received id/> (§5.3); the worker reports receipt
 *     with the number, if the answer comes from the buddy the message went
 *     to (bare JIDs compared).
 *   - a buddy's <message/> with a body, an id and <request/> gets a number
 *     of ours before prpl-jabber parses it; the IM it yields (written
 *     synchronously during that parse, pg-purple-im.c) carries the number
 *     in im-received.  Only when the daemon says the user's client got it
 *     (receipt command) does the worker send <received id/> to the full JID
 *     that asked.
 * Per account, each way, PG_PURPLE_RECEIPTS_MAX entries at most: the
 * oldest is forgotten.  An unknown number from the daemon is dropped.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-purple"

#include <string.h>

#include "core/pg-error.h"
#include "pg-purple-im.h"
#include "pg-purple-receipts.h"
#include "pg-purple-text.h"
#include "pg-purple-worker.h"

#define PG_PURPLE_NS_RECEIPTS "urn:xmpp:receipts"

typedef struct {
	gchar *key;     /* outbound: prpl-jabber's stanza id; inbound: "%u" of number */
	gchar *who;     /* outbound: send-im's "to"; inbound: im-received's "from" */
	gchar *jid;     /* outbound: the bare JID it went to; inbound: the full
			 * JID that asked */
	gchar *id;      /* inbound: the buddy's stanza id */
	guint32 number; /* outbound: the daemon's; inbound: ours */
} PgPurpleReceipt;

typedef struct {
	GHashTable *table; /* key -> PgPurpleReceipt (owned) */
	GQueue order;      /* keys, oldest first (borrowed) */
} PgPurpleReceiptTable;

typedef struct {
	PgPurpleReceiptTable outbound;
	PgPurpleReceiptTable inbound;
} PgPurpleReceiptsAccount;

static int pg_purple_receipts_handle;
/* account key -> PgPurpleReceiptsAccount */
static GHashTable *pg_purple_receipts_accounts;
static guint32 pg_purple_receipts_next;
/* the send being armed (pg_purple_receipts_arm) */
static PurpleAccount *pg_purple_receipts_armed_account;
static guint32 pg_purple_receipts_armed_number;
static gchar *pg_purple_receipts_armed_to;

static void
pg_purple_receipt_free(PgPurpleReceipt *receipt)
{
	g_free(receipt->key);
	g_free(receipt->who);
	g_free(receipt->jid);
	g_free(receipt->id);
	g_free(receipt);
}

static void
pg_purple_receipts_account_free(PgPurpleReceiptsAccount *self)
{
	g_hash_table_unref(self->outbound.table);
	g_hash_table_unref(self->inbound.table);
	g_queue_clear(&self->outbound.order);
	g_queue_clear(&self->inbound.order);
	g_free(self);
}

static PgPurpleReceiptsAccount *
pg_purple_receipts_for(PurpleAccount *account)
{
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	PgPurpleReceiptsAccount *self;

	if (entry == NULL || pg_purple_receipts_accounts == NULL)
		return NULL;
	self = g_hash_table_lookup(pg_purple_receipts_accounts, entry->key);
	if (self != NULL)
		return self;
	self = g_new0(PgPurpleReceiptsAccount, 1);
	self->outbound.table = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						     (GDestroyNotify)pg_purple_receipt_free);
	self->inbound.table = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						    (GDestroyNotify)pg_purple_receipt_free);
	g_queue_init(&self->outbound.order);
	g_queue_init(&self->inbound.order);
	g_hash_table_insert(pg_purple_receipts_accounts, g_strdup(entry->key), self);
	return self;
}

static void
pg_purple_receipt_table_add(PgPurpleReceiptTable *table, PgPurpleReceipt *receipt)
{
	gpointer old_key;

	/* the same key again (a buddy reusing an id): the newer wins */
	if (g_hash_table_lookup_extended(table->table, receipt->key, &old_key, NULL)) {
		g_queue_remove(&table->order, old_key);
		g_hash_table_remove(table->table, receipt->key);
	}
	if (g_queue_get_length(&table->order) >= PG_PURPLE_RECEIPTS_MAX)
		g_hash_table_remove(table->table, g_queue_pop_head(&table->order));
	g_hash_table_insert(table->table, receipt->key, receipt);
	g_queue_push_tail(&table->order, receipt->key);
}

/* Returns: (transfer full) (nullable) */
static PgPurpleReceipt *
pg_purple_receipt_table_take(PgPurpleReceiptTable *table, const gchar *key)
{
	PgPurpleReceipt *receipt = g_hash_table_lookup(table->table, key);

	if (receipt == NULL)
		return NULL;
	g_queue_remove(&table->order, receipt->key);
	g_hash_table_steal(table->table, key);
	return receipt;
}

/* Returns: (transfer full) the bare JID of @jid, normalised by the plugin */
static gchar *
pg_purple_receipts_bare(PurpleAccount *account, const gchar *jid)
{
	const gchar *normal = purple_normalize(account, jid);
	g_autofree gchar *copy = g_strdup(normal != NULL ? normal : jid);
	gchar *slash = strchr(copy, '/');

	if (slash != NULL)
		*slash = '\0';
	return g_steal_pointer(&copy);
}

gboolean
pg_purple_receipts_supported(const gchar *protocol)
{
	return g_strcmp0(protocol, "prpl-jabber") == 0;
}

void
pg_purple_receipts_arm(PurpleAccount *account, const PgIpcMessage *msg)
{
	guint32 number = pg_ipc_message_get_uint32(msg, "receipt", 0);

	if (number == 0 || !pg_purple_receipts_supported(purple_account_get_protocol_id(account)))
		return;
	pg_purple_receipts_armed_account = account;
	pg_purple_receipts_armed_number = number;
	g_free(pg_purple_receipts_armed_to);
	pg_purple_receipts_armed_to = g_strdup(pg_ipc_message_get_string(msg, "to"));
}

void
pg_purple_receipts_disarm(void)
{
	pg_purple_receipts_armed_account = NULL;
	pg_purple_receipts_armed_number = 0;
	g_clear_pointer(&pg_purple_receipts_armed_to, g_free);
}

static void
pg_purple_receipts_sending_cb(PurpleConnection *gc, xmlnode **packet, gpointer data)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	PgPurpleReceiptsAccount *self;
	PgPurpleReceipt *receipt;
	const gchar *id;
	const gchar *to;
	xmlnode *request;

	if (pg_purple_receipts_armed_number == 0 || account != pg_purple_receipts_armed_account ||
	    packet == NULL || *packet == NULL || g_strcmp0((*packet)->name, "message") != 0 ||
	    xmlnode_get_child(*packet, "body") == NULL)
		return;
	to = xmlnode_get_attrib(*packet, "to");
	self = pg_purple_receipts_for(account);
	if (to == NULL || self == NULL)
		return;
	/* prpl-jabber gives each message an id (jabber_get_next_id); §5.4: a
	 * request needs one */
	id = xmlnode_get_attrib(*packet, "id");
	if (id == NULL) {
		g_autofree gchar *uuid = g_uuid_string_random();
		xmlnode_set_attrib(*packet, "id", uuid);
		id = xmlnode_get_attrib(*packet, "id");
	}
	request = xmlnode_new_child(*packet, "request");
	xmlnode_set_namespace(request, PG_PURPLE_NS_RECEIPTS);
	receipt = g_new0(PgPurpleReceipt, 1);
	receipt->key = g_strdup(id);
	receipt->who = g_strdup(pg_purple_receipts_armed_to);
	receipt->jid = pg_purple_receipts_bare(account, to);
	receipt->number = pg_purple_receipts_armed_number;
	pg_purple_receipt_table_add(&self->outbound, receipt);
	/* one message per send-im */
	pg_purple_receipts_armed_number = 0;
}

/* A <received id/> from @from: the buddy's client got one of ours. */
static void
pg_purple_receipts_on_received(PurpleAccount *account, const gchar *from, xmlnode *received)
{
	PgPurpleReceiptsAccount *self = pg_purple_receipts_for(account);
	PgPurpleAccount *entry = pg_purple_worker_lookup(account);
	const gchar *id = xmlnode_get_attrib(received, "id");
	g_autofree gchar *bare = NULL;
	PgPurpleReceipt *receipt;

	if (self == NULL || entry == NULL || id == NULL || from == NULL)
		return;
	receipt = g_hash_table_lookup(self->outbound.table, id);
	bare = pg_purple_receipts_bare(account, from);
	/* only the buddy it went to may confirm it */
	if (receipt == NULL || g_strcmp0(receipt->jid, bare) != 0)
		return;
	receipt = pg_purple_receipt_table_take(&self->outbound, id);
	if (receipt == NULL)
		return;
	pg_purple_worker_emit(pg_purple_worker_message_new(
	    PG_IPC_EVT_RECEIPT, 0, "account", pg_purple_text_new(entry->key), "from",
	    pg_purple_text_new(receipt->who), "receipt", g_variant_new_uint32(receipt->number),
	    NULL));
	pg_purple_receipt_free(receipt);
}

/* A buddy's message from @from asks for a receipt: number it for the IM
 * prpl-jabber is about to write. */
static void
pg_purple_receipts_on_request(PurpleAccount *account, const gchar *from, const gchar *id)
{
	PgPurpleReceiptsAccount *self = pg_purple_receipts_for(account);
	g_autofree gchar *who = NULL;
	PgPurpleReceipt *receipt;

	if (self == NULL)
		return;
	if (++pg_purple_receipts_next == 0)
		pg_purple_receipts_next = 1;
	who = pg_purple_im_contact(account, from);
	receipt = g_new0(PgPurpleReceipt, 1);
	receipt->number = pg_purple_receipts_next;
	receipt->key = g_strdup_printf("%u", receipt->number);
	receipt->who = g_steal_pointer(&who);
	receipt->jid = g_strdup(from);
	receipt->id = g_strdup(id);
	pg_purple_receipt_table_add(&self->inbound, receipt);
	pg_purple_im_expect_receipt(account, receipt->number);
}

static void
pg_purple_receipts_receiving_cb(PurpleConnection *gc, xmlnode **packet, gpointer data)
{
	PurpleAccount *account = purple_connection_get_account(gc);
	const gchar *type;
	const gchar *from;
	const gchar *id;
	xmlnode *child;

	/* a number belongs to the stanza that set it, never to the next one */
	pg_purple_im_expect_receipt(NULL, 0);
	if (packet == NULL || *packet == NULL || g_strcmp0((*packet)->name, "message") != 0)
		return;
	type = xmlnode_get_attrib(*packet, "type");
	from = xmlnode_get_attrib(*packet, "from");
	id = xmlnode_get_attrib(*packet, "id");
	/* XEP-0184 §5.4 / §5.5: none for errors or groupchat */
	if (from == NULL || g_strcmp0(type, "error") == 0 || g_strcmp0(type, "groupchat") == 0)
		return;
	child = xmlnode_get_child_with_namespace(*packet, "received", PG_PURPLE_NS_RECEIPTS);
	if (child != NULL) {
		pg_purple_receipts_on_received(account, from, child);
		return;
	}
	child = xmlnode_get_child_with_namespace(*packet, "request", PG_PURPLE_NS_RECEIPTS);
	if (child != NULL && id != NULL && id[0] != '\0' &&
	    xmlnode_get_child(*packet, "body") != NULL)
		pg_purple_receipts_on_request(account, from, id);
}

gboolean
pg_purple_receipts_answer(const PgIpcMessage *msg, GError **error)
{
	const gchar *key = pg_ipc_message_get_string(msg, "account");
	PgPurpleAccount *entry = g_hash_table_lookup(pg_purple_worker_get()->accounts, key);
	g_autofree gchar *number = NULL;
	PgPurpleReceiptsAccount *self;
	PgPurpleReceipt *receipt;
	PurpleConnection *gc;
	xmlnode *message;
	xmlnode *sent;
	xmlnode *received;

	if (entry == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no account %s", key);
		return FALSE;
	}
	self = pg_purple_receipts_for(entry->account);
	number = g_strdup_printf("%u", pg_ipc_message_get_uint32(msg, "receipt", 0));
	receipt = self != NULL ? g_hash_table_lookup(self->inbound.table, number) : NULL;
	gc = purple_account_get_connection(entry->account);
	/* unknown, forgotten, or another buddy's: nothing to confirm */
	if (receipt == NULL || g_strcmp0(receipt->who, pg_ipc_message_get_string(msg, "to")) != 0 ||
	    gc == NULL || purple_connection_get_state(gc) != PURPLE_CONNECTED)
		return TRUE;
	receipt = pg_purple_receipt_table_take(&self->inbound, number);
	if (receipt == NULL)
		return TRUE;
	/* XEP-0184 §5.3: <received id/> to the full JID that asked */
	message = xmlnode_new("message");
	xmlnode_set_attrib(message, "to", receipt->jid);
	received = xmlnode_new_child(message, "received");
	xmlnode_set_namespace(received, PG_PURPLE_NS_RECEIPTS);
	xmlnode_set_attrib(received, "id", receipt->id);
	pg_purple_receipt_free(receipt);
	/* a handler may set the pointer to NULL to hold the stanza back; it
	 * stays ours to free either way */
	sent = message;
	purple_signal_emit(purple_connection_get_prpl(gc), "jabber-sending-xmlnode", gc, &sent);
	xmlnode_free(message);
	return TRUE;
}

void
pg_purple_receipts_connect(void)
{
	PurplePlugin *jabber = purple_plugins_find_with_id("prpl-jabber");

	pg_purple_receipts_accounts =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				  (GDestroyNotify)pg_purple_receipts_account_free);
	if (jabber == NULL || !purple_plugin_is_loaded(jabber))
		return;
	purple_signal_connect(jabber, "jabber-sending-xmlnode", &pg_purple_receipts_handle,
			      PURPLE_CALLBACK(pg_purple_receipts_sending_cb), NULL);
	purple_signal_connect(jabber, "jabber-receiving-xmlnode", &pg_purple_receipts_handle,
			      PURPLE_CALLBACK(pg_purple_receipts_receiving_cb), NULL);
}

void
pg_purple_receipts_disconnect(void)
{
	purple_signals_disconnect_by_handle(&pg_purple_receipts_handle);
	pg_purple_receipts_disarm();
	g_clear_pointer(&pg_purple_receipts_accounts, g_hash_table_unref);
}
