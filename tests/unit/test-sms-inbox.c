/* Unit tests of src/registry/pg-sms-inbox.c: the SMS inbox (schema v4):
 * the migration from v3, order per user, no text on disk, a moved body is
 * refused and does not stall the rest, the bound per user, and rekey. */
#define G_LOG_DOMAIN "test-sms-inbox"

#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "core/pg-error.h"
#include "registry/pg-registry.h"
#include "registry/pg-sms-inbox.h"
#include "registry/pg-sms-queue.h"
#include "registry/pg-vault.h"

#include "pg-test-registry.h"

#define PG_TEST_TRANSPORT "sms.example.org"
#define PG_TEST_ALICE	  "alice@example.org"
#define PG_TEST_BOB	  "bob@example.org"
#define PG_TEST_PEER	  "+4915100000001"
#define PG_TEST_T0	  G_GINT64_CONSTANT(1700000000)

typedef PgTestRegistry PgTestFixture;

static gint64
pg_test_put(PgTestFixture *fixture, const gchar *user_jid, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	gint64 id = pg_sms_inbox_put(fixture->registry, PG_TEST_TRANSPORT, user_jid,
				     PG_SMS_INBOX_SMS, PG_TEST_PEER, text, NULL, NULL, NULL,
				     PG_TEST_T0, &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	return id;
}

/* The bodies waiting for @user_jid (NULL: everyone), joined by ','. */
static gchar *
pg_test_bodies(PgTestFixture *fixture, const gchar *user_jid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) items =
	    pg_sms_inbox_list(fixture->registry, PG_TEST_TRANSPORT, user_jid, 0, &error);
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_no_error(error);
	for (guint i = 0; i < items->len; i++) {
		PgSmsInboxItem *item = g_ptr_array_index(items, i);
		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append(out, pg_secret_get_string(item->body));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
pg_test_assert_bodies(PgTestFixture *fixture, const gchar *user_jid, const gchar *expected)
{
	g_autofree gchar *got = pg_test_bodies(fixture, user_jid);
	g_assert_cmpstr(got, ==, expected);
}

static void
test_migration_from_v3_keeps_the_outbox(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) got = NULL;
	gint64 id = pg_sms_queue_enqueue(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					 PG_TEST_PEER, (const guint8 *)"before v4", 9, "x1", TRUE,
					 PG_TEST_T0, &error);

	g_assert_no_error(error);
	/* the file taken back to v3, as a v3 Polygate left it */
	pg_test_registry_close(fixture);
	pg_test_sqlite_exec(fixture->db_path, "DROP TABLE sms_inbox; PRAGMA user_version = 3;");

	pg_test_registry_open(fixture);
	g_assert_cmpint(pg_test_sqlite_int(fixture->db_path, "PRAGMA user_version;"), ==, 4);
	got = pg_sms_queue_get(fixture->registry, id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(got->body), ==, "before v4");
	g_assert_true(got->want_receipt);
	/* and the new table works */
	pg_test_put(fixture, PG_TEST_ALICE, "after v4");
	pg_test_assert_bodies(fixture, PG_TEST_ALICE, "after v4");
}

static void
test_items_come_back_in_order_per_user_with_their_fields(PgTestFixture *fixture,
							 gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) items = NULL;
	PgSmsInboxItem *failure;
	gint64 first;

	first = pg_test_put(fixture, PG_TEST_ALICE, "one");
	pg_test_put(fixture, PG_TEST_BOB, "bob's");
	pg_test_put(fixture, PG_TEST_ALICE, "two");
	g_assert_cmpint(pg_sms_inbox_put(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					 PG_SMS_INBOX_FAILURE, PG_TEST_PEER, "not delivered",
					 "msg-7", "recipient-unavailable", "cancel", PG_TEST_T0 + 5,
					 &error),
			>, first);
	g_assert_no_error(error);

	pg_test_assert_bodies(fixture, PG_TEST_ALICE, "one,two,not delivered");
	pg_test_assert_bodies(fixture, NULL, "one,bob's,two,not delivered");
	g_assert_cmpint(pg_sms_inbox_count(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					   NULL),
			==, 3);
	items = pg_sms_inbox_list(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE, 0, &error);
	g_assert_no_error(error);
	failure = g_ptr_array_index(items, 2);
	g_assert_cmpint(failure->kind, ==, PG_SMS_INBOX_FAILURE);
	g_assert_cmpstr(failure->peer, ==, PG_TEST_PEER);
	g_assert_cmpstr(failure->xmpp_id, ==, "msg-7");
	g_assert_cmpstr(failure->condition, ==, "recipient-unavailable");
	g_assert_cmpstr(failure->error_type, ==, "cancel");
	g_assert_cmpint(failure->created_at, ==, PG_TEST_T0 + 5);

	/* delivered items go; the rest keep their order, across a reopen */
	g_assert_true(pg_sms_inbox_delete(fixture->registry, first, &error));
	g_assert_no_error(error);
	pg_test_registry_close(fixture);
	pg_test_registry_open(fixture);
	pg_test_assert_bodies(fixture, PG_TEST_ALICE, "two,not delivered");
}

static void
test_body_is_not_on_disk(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *wal = g_strdup_printf("%s-wal", fixture->db_path);
	g_autoptr(GBytes) db = NULL;
	g_autoptr(GBytes) log = NULL;

	pg_test_put(fixture, PG_TEST_ALICE, "the secret meeting is at noon");
	db = pg_test_read_file(fixture->db_path);
	log = pg_test_read_file(wal);
	g_assert_false(pg_test_bytes_contain(db, "secret meeting"));
	g_assert_false(pg_test_bytes_contain(log, "secret meeting"));
}

static void
test_moved_body_is_refused_and_does_not_stall(PgTestFixture *fixture, gconstpointer user_data)
{
	gint64 alice = pg_test_put(fixture, PG_TEST_ALICE, "for alice");
	g_autofree gchar *sql = NULL;

	pg_test_put(fixture, PG_TEST_BOB, "for bob");
	pg_test_put(fixture, PG_TEST_BOB, "for bob too");
	/* alice's sealed body copied over bob's first item */
	sql = g_strdup_printf("UPDATE sms_inbox SET body = (SELECT body FROM sms_inbox WHERE id = "
			      "%" G_GINT64_FORMAT ") WHERE id = %" G_GINT64_FORMAT ";",
			      alice, alice + 1);
	pg_test_registry_close(fixture);
	pg_test_sqlite_exec(fixture->db_path, sql);
	pg_test_registry_open(fixture);

	g_test_expect_message("PgRegistry", G_LOG_LEVEL_WARNING, "*inbox item*dropped*");
	pg_test_assert_bodies(fixture, PG_TEST_BOB, "for bob too");
	g_test_assert_expected_messages();
	pg_test_assert_bodies(fixture, PG_TEST_ALICE, "for alice");
}

static void
test_a_user_gets_at_most_the_bound(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < PG_SMS_INBOX_MAX_PER_USER; i++)
		pg_test_put(fixture, PG_TEST_ALICE, "x");
	g_assert_cmpint(pg_sms_inbox_put(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					 PG_SMS_INBOX_SMS, PG_TEST_PEER, "one too many", NULL, NULL,
					 NULL, PG_TEST_T0, &error),
			==, 0);
	g_assert_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT);
	/* the others are not held back by alice's */
	pg_test_put(fixture, PG_TEST_BOB, "bob still gets his");
}

static void
test_rekey_reseals_bodies(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	guint resealed = 0;
	g_autofree gchar *sql = NULL;

	pg_test_put(fixture, PG_TEST_ALICE, "sealed twice");
	g_assert_true(pg_registry_rekey(fixture->registry, &resealed, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(resealed, ==, 1);
	g_assert_cmpuint(pg_vault_get_n_keys(fixture->vault), ==, 1);
	pg_test_registry_close(fixture);
	pg_test_registry_open(fixture);
	pg_test_assert_bodies(fixture, PG_TEST_ALICE, "sealed twice");
	sql = g_strdup_printf("SELECT COUNT(*) FROM sms_inbox WHERE substr(body, 1, 4) = X'%08x';",
			      pg_vault_get_current_key_id(fixture->vault));
	g_assert_cmpint(pg_test_sqlite_int(fixture->db_path, sql), ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_registry_setup, func, pg_test_registry_teardown)
	PG_TEST_ADD("/sms-inbox/migration/v3-database-keeps-the-outbox",
		    test_migration_from_v3_keeps_the_outbox);
	PG_TEST_ADD("/sms-inbox/order/items-come-back-in-order-per-user",
		    test_items_come_back_in_order_per_user_with_their_fields);
	PG_TEST_ADD("/sms-inbox/secrecy/body-is-not-on-disk", test_body_is_not_on_disk);
	PG_TEST_ADD("/sms-inbox/secrecy/moved-body-is-refused-and-does-not-stall",
		    test_moved_body_is_refused_and_does_not_stall);
	PG_TEST_ADD("/sms-inbox/bound/a-user-gets-at-most-the-bound",
		    test_a_user_gets_at_most_the_bound);
	PG_TEST_ADD("/sms-inbox/secrecy/rekey-reseals-bodies", test_rekey_reseals_bodies);
#undef PG_TEST_ADD
	return g_test_run();
}
