/* Unit tests of what a contact claims and carries by its plugin's protocol
 * info (issue 9, item 5): XEP-0085 chat states only for a plugin that
 * sends typing, XEP-0184 receipts only where the worker carries real ones
 * (src/session/pg-receipts.c), both ways, bounded per link.  Events go
 * through a real session manager (pg-test-purple.h). */
#define G_LOG_DOMAIN "test-receipts"

#include "config.h"

#include <string.h>

#include "session/pg-link.h"
#include "session/pg-receipts.h"
#include "session/pg-session-manager.h"
#include "stanza/pg-stanza.h"

#include "pg-test-purple.h"

#define PG_TEST_BOB_ID   "bob@legacy.example.net"
#define PG_TEST_BOB      "bob\\40legacy.example.net@" PG_TEST_PURPLE
#define PG_TEST_CAROL_ID "carol@legacy.example.net"
#define PG_NS_CHATSTATES_TEST "http://jabber.org/protocol/chatstates"

static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_purple_setup(fixture, NULL);
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_purple_teardown(fixture);
}

static void
pg_test_deliver(PgTestFixture *fixture, PgIpcMessage *msg)
{
	g_autoptr(PgIpcMessage) owned = msg;

	g_assert_true(pg_ipc_message_validate(owned, NULL));
	pg_supervisor_deliver_event(fixture->manager->supervisor, owned);
}

/* The features a contact's disco#info answer lists. */
static GHashTable *
pg_test_contact_features(PgTestFixture *fixture)
{
	GHashTable *features = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	xmpp_stanza_t *reply;
	xmpp_stanza_t *query;

	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_receive(fixture, "<iq type='get' id='d1' from='" PG_TEST_USER "/phone' to='" PG_TEST_BOB
				 "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	g_assert_cmpuint(fixture->sent->len, ==, 1);
	reply = g_ptr_array_index(fixture->sent, 0);
	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	query = xmpp_stanza_get_child_by_name(reply, "query");
	for (xmpp_stanza_t *f = xmpp_stanza_get_children(query); f != NULL;
	     f = xmpp_stanza_get_next(f))
		if (g_strcmp0(xmpp_stanza_get_name(f), "feature") == 0)
			g_hash_table_add(features, g_strdup(xmpp_stanza_get_attribute(f, "var")));
	return features;
}

/* XEP-0085 §5.1 / XEP-0184 §6: a contact claims what its plugin does. */
static void
test_receipts_features_follow_the_plugin(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GHashTable) typing = NULL;
	g_autoptr(GHashTable) neither = NULL;
	g_autoptr(GHashTable) both = NULL;

	typing = pg_test_contact_features(fixture);
	g_assert_true(g_hash_table_contains(typing, PG_NS_CHATSTATES_TEST));
	g_assert_false(g_hash_table_contains(typing, PG_NS_RECEIPTS));
	/* a plugin without send_typing (prpl-bonjour, the SMS plugin) */
	fixture->info->typing = FALSE;
	neither = pg_test_contact_features(fixture);
	g_assert_false(g_hash_table_contains(neither, PG_NS_CHATSTATES_TEST));
	g_assert_false(g_hash_table_contains(neither, PG_NS_RECEIPTS));
	g_assert_true(g_hash_table_contains(neither, "http://jabber.org/protocol/disco#info"));
	/* prpl-jabber: both */
	fixture->info->typing = TRUE;
	fixture->info->receipts = TRUE;
	both = pg_test_contact_features(fixture);
	g_assert_true(g_hash_table_contains(both, PG_NS_CHATSTATES_TEST));
	g_assert_true(g_hash_table_contains(both, PG_NS_RECEIPTS));
}

/* The last command waiting for the login, of @kind. */
static const PgIpcMessage *
pg_test_pending_last(PgTestFixture *fixture, PgIpcKind kind)
{
	for (GList *l = fixture->link->pending->tail; l != NULL; l = l->prev) {
		const PgIpcMessage *msg = l->data;
		if (msg->kind == kind)
			return msg;
	}
	return NULL;
}

static void
pg_test_user_says(PgTestFixture *fixture, const gchar *id, const gchar *body)
{
	g_autofree gchar *xml = g_strdup_printf(
	    "<message type='chat' id='%s' from='" PG_TEST_USER "/phone' to='" PG_TEST_BOB "'>"
	    "<body>%s</body><request xmlns='" PG_NS_RECEIPTS "'/></message>",
	    id, body);
	pg_test_receive(fixture, xml);
}

static void
pg_test_worker_receipt(PgTestFixture *fixture, const gchar *from, guint32 number)
{
	pg_test_deliver(fixture, pg_ipc_message_new(PG_IPC_EVT_RECEIPT, 0, "account",
						    g_variant_new_string(fixture->link->account),
						    "from", g_variant_new_string(from), "receipt",
						    g_variant_new_uint32(number), NULL));
}

/* The user asks bob's client for a receipt: only the buddy's real answer
 * (the worker's receipt event with send-im's number) gives the user one,
 * with the user's own id, at the resource that asked. */
static void
test_receipts_user_to_buddy(PgTestFixture *fixture, gconstpointer user_data)
{
	const PgIpcMessage *send;
	guint32 number;
	xmpp_stanza_t *receipt;
	xmpp_stanza_t *received;

	fixture->info->receipts = TRUE;
	pg_test_user_says(fixture, "m1", "did you get this?");
	send = pg_test_pending_last(fixture, PG_IPC_CMD_SEND_IM);
	g_assert_nonnull(send);
	number = pg_ipc_message_get_uint32(send, "receipt", 0);
	g_assert_cmpuint(number, !=, 0);
	g_ptr_array_set_size(fixture->sent, 0);
	/* not this number, not from another contact: nothing */
	pg_test_worker_receipt(fixture, PG_TEST_BOB_ID, number + 1);
	pg_test_worker_receipt(fixture, PG_TEST_CAROL_ID, number);
	g_assert_cmpuint(fixture->sent->len, ==, 0);
	pg_test_worker_receipt(fixture, PG_TEST_BOB_ID, number);
	g_assert_cmpuint(fixture->sent->len, ==, 1);
	receipt = g_ptr_array_index(fixture->sent, 0);
	g_assert_cmpstr(xmpp_stanza_get_from(receipt), ==, PG_TEST_BOB);
	g_assert_cmpstr(xmpp_stanza_get_to(receipt), ==, PG_TEST_USER "/phone");
	received = xmpp_stanza_get_child_by_name_and_ns(receipt, "received", PG_NS_RECEIPTS);
	g_assert_nonnull(received);
	g_assert_cmpstr(xmpp_stanza_get_attribute(received, "id"), ==, "m1");
	/* once */
	pg_test_worker_receipt(fixture, PG_TEST_BOB_ID, number);
	g_assert_cmpuint(fixture->sent->len, ==, 1);
}

/* Without the worker's path, send-im asks for nothing and no receipt is
 * made up (XEP-0184 §5: the request is ignored). */
static void
test_receipts_none_without_the_plugins_path(PgTestFixture *fixture, gconstpointer user_data)
{
	const PgIpcMessage *send;

	pg_test_user_says(fixture, "m1", "did you get this?");
	send = pg_test_pending_last(fixture, PG_IPC_CMD_SEND_IM);
	g_assert_nonnull(send);
	g_assert_false(pg_ipc_message_has_field(send, "receipt"));
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_worker_receipt(fixture, PG_TEST_BOB_ID, 1);
	g_assert_cmpuint(fixture->sent->len, ==, 0);
}

/* Past PG_RECEIPTS_MAX requests the oldest is forgotten. */
static void
test_receipts_are_bounded_per_link(PgTestFixture *fixture, gconstpointer user_data)
{
	guint32 first = 0;
	guint32 last = 0;

	fixture->info->receipts = TRUE;
	for (guint i = 0; i < PG_RECEIPTS_MAX + 1; i++) {
		g_autofree gchar *id = g_strdup_printf("m%u", i);
		const PgIpcMessage *send;

		pg_test_user_says(fixture, id, "x");
		send = pg_test_pending_last(fixture, PG_IPC_CMD_SEND_IM);
		last = pg_ipc_message_get_uint32(send, "receipt", 0);
		if (i == 0)
			first = last;
		/* the pending queue is bounded too: make room */
		g_queue_free_full(fixture->link->pending, (GDestroyNotify)pg_ipc_message_free);
		fixture->link->pending = g_queue_new();
	}
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_worker_receipt(fixture, PG_TEST_BOB_ID, first);
	g_assert_cmpuint(fixture->sent->len, ==, 0);
	pg_test_worker_receipt(fixture, PG_TEST_BOB_ID, last);
	g_assert_cmpuint(fixture->sent->len, ==, 1);
}

static void
pg_test_buddy_says(PgTestFixture *fixture, const gchar *body, guint32 number)
{
	pg_test_deliver(fixture,
			pg_ipc_message_new(PG_IPC_EVT_IM_RECEIVED, 0, "account",
					   g_variant_new_string(fixture->link->account), "from",
					   g_variant_new_string(PG_TEST_BOB_ID), "body",
					   g_variant_new_string(body), "receipt",
					   number != 0 ? g_variant_new_uint32(number) : NULL, NULL));
}

static void
pg_test_user_receipt(PgTestFixture *fixture, const gchar *to, const gchar *id)
{
	g_autofree gchar *xml = g_strdup_printf(
	    "<message from='" PG_TEST_USER "/phone' to='%s'><received xmlns='" PG_NS_RECEIPTS
	    "' id='%s'/></message>",
	    to, id);
	pg_test_receive(fixture, xml);
}

/* A buddy asks for a receipt: the user's client is asked for one under an
 * id of the gateway's, and only its answer goes back to the worker (as
 * the receipt command with the worker's number). */
static void
test_receipts_buddy_to_user(PgTestFixture *fixture, gconstpointer user_data)
{
	xmpp_stanza_t *message;
	g_autofree gchar *id = NULL;
	const PgIpcMessage *receipt;

	fixture->info->receipts = TRUE;
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_buddy_says(fixture, "got this?", 42);
	g_assert_cmpuint(fixture->sent->len, ==, 1);
	message = g_ptr_array_index(fixture->sent, 0);
	g_assert_nonnull(xmpp_stanza_get_child_by_name_and_ns(message, "request", PG_NS_RECEIPTS));
	id = g_strdup(xmpp_stanza_get_id(message));
	g_assert_nonnull(id);
	/* a wrong id, or the right id to another contact: nothing */
	pg_test_user_receipt(fixture, PG_TEST_BOB, "forged");
	pg_test_user_receipt(fixture, "carol\\40legacy.example.net@" PG_TEST_PURPLE, id);
	g_assert_null(pg_test_pending_last(fixture, PG_IPC_CMD_RECEIPT));
	pg_test_user_receipt(fixture, PG_TEST_BOB, id);
	receipt = pg_test_pending_last(fixture, PG_IPC_CMD_RECEIPT);
	g_assert_nonnull(receipt);
	g_assert_cmpuint(pg_ipc_message_get_uint32(receipt, "receipt", 0), ==, 42);
	g_assert_cmpstr(pg_ipc_message_get_string(receipt, "to"), ==, PG_TEST_BOB_ID);
	/* a receipt is no message, and no chat state */
	g_assert_null(pg_test_pending_last(fixture, PG_IPC_CMD_SEND_IM));
	g_assert_null(pg_test_pending_last(fixture, PG_IPC_CMD_TYPING));

	/* without the worker's path a buddy's number asks the user nothing */
	fixture->info->receipts = FALSE;
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_buddy_says(fixture, "and this?", 43);
	message = g_ptr_array_index(fixture->sent, 0);
	g_assert_null(xmpp_stanza_get_child_by_name_and_ns(message, "request", PG_NS_RECEIPTS));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func, pg_test_fixture_teardown)
	PG_TEST_ADD("/receipts/features-follow-the-plugin", test_receipts_features_follow_the_plugin);
	PG_TEST_ADD("/receipts/user-to-buddy", test_receipts_user_to_buddy);
	PG_TEST_ADD("/receipts/none-without-the-plugins-path",
		    test_receipts_none_without_the_plugins_path);
	PG_TEST_ADD("/receipts/bounded-per-link", test_receipts_are_bounded_per_link);
	PG_TEST_ADD("/receipts/buddy-to-user", test_receipts_buddy_to_user);
	return g_test_run();
}
