/* Unit tests of src/registry/pg-sms-queue.c: the durable SMS outbox (schema
 * v2 and v3): migrations from v1 and v2, receipt requests kept with the
 * message, order per recipient, retries, delivery reports by legacy id,
 * expiry, durability, and no text on disk. */
#define G_LOG_DOMAIN "test-sms-queue"

#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include <glib/gstdio.h>

#include "core/pg-error.h"
#include "registry/pg-registry.h"
#include "registry/pg-sms-queue.h"
#include "registry/pg-vault.h"

#include "pg-test-registry.h"

#define PG_TEST_TRANSPORT "sms.example.org"
#define PG_TEST_ALICE	  "alice@example.org"
#define PG_TEST_BOB	  "bob@example.org"
#define PG_TEST_NUMBER_1  "+4915100000001"
#define PG_TEST_NUMBER_2  "+4915100000002"
#define PG_TEST_T0	  G_GINT64_CONSTANT(1700000000)
#define PG_TEST_PASSWORD  "hunter2-correct-horse-battery"

/* ---- helpers ---- */

typedef PgTestRegistry PgTestFixture;

static gint64
pg_test_enqueue_at(PgTestFixture *fixture, const gchar *user_jid, const gchar *recipient,
		   const gchar *text, gint64 now)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xmpp_id = g_strdup_printf("xmpp-%s", text);
	gint64 id = pg_sms_queue_enqueue(fixture->registry, PG_TEST_TRANSPORT, user_jid, recipient,
					 (const guint8 *)text, strlen(text), xmpp_id, FALSE, now,
					 &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	return id;
}

static gint64
pg_test_enqueue(PgTestFixture *fixture, const gchar *user_jid, const gchar *recipient,
		const gchar *text)
{
	return pg_test_enqueue_at(fixture, user_jid, recipient, text, PG_TEST_T0);
}

/* The bodies of the messages due at @now, joined by ',': easy to compare. */
static gchar *
pg_test_due(PgTestFixture *fixture, gint64 now)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) due =
	    pg_sms_queue_next_due(fixture->registry, NULL, now, 0, &error);
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_no_error(error);
	for (guint i = 0; i < due->len; i++) {
		PgSmsMessage *message = g_ptr_array_index(due, i);
		g_assert_cmpint(message->state, ==, PG_SMS_STATE_QUEUED);
		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append(out, pg_secret_get_string(message->body));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static PgSmsMessage *
pg_test_get(PgTestFixture *fixture, gint64 id)
{
	g_autoptr(GError) error = NULL;
	PgSmsMessage *message = pg_sms_queue_get(fixture->registry, id, &error);

	g_assert_no_error(error);
	g_assert_nonnull(message);
	return message;
}

static void
pg_test_assert_due(PgTestFixture *fixture, gint64 now, const gchar *expected)
{
	g_autofree gchar *due = pg_test_due(fixture, now);
	g_assert_cmpstr(due, ==, expected);
}

static void
pg_test_mark_sending(PgTestFixture *fixture, gint64 id, const gchar *legacy_id)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(pg_sms_queue_mark_sending(fixture->registry, id, legacy_id, PG_TEST_T0,
						&error));
	g_assert_no_error(error);
}

/* ---- migration ---- */

/* The v1 schema as Polygate 0.1 wrote it: the file a v2 Polygate meets. */
static const gchar pg_test_v1_schema[] =
    "PRAGMA journal_mode = WAL;"
    "CREATE TABLE account ("
    "  transport TEXT NOT NULL, user_jid TEXT NOT NULL, legacy_id TEXT,"
    "  settings BLOB NOT NULL, secrets BLOB,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (transport, user_jid));"
    "CREATE INDEX account_transport_legacy_id ON account (transport, legacy_id);"
    "INSERT INTO account VALUES ('sms.example.org', 'carol@example.org', '+4915100000009',"
    "  X'', NULL, 1600000000, 1600000001);"
    "PRAGMA user_version = 1;";

static void
test_migration_from_v1_keeps_accounts(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) carol = NULL;

	pg_test_registry_close(fixture);
	g_unlink(fixture->db_path);
	pg_test_sqlite_exec(fixture->db_path, pg_test_v1_schema);
	g_assert_cmpint(pg_test_sqlite_int(fixture->db_path, "PRAGMA user_version;"), ==, 1);

	pg_test_registry_open(fixture);
	g_assert_cmpint(pg_test_sqlite_int(fixture->db_path, "PRAGMA user_version;"), ==, 4);
	carol = pg_registry_get_account(fixture->registry, "sms.example.org", "carol@example.org",
					&error);
	g_assert_no_error(error);
	g_assert_cmpstr(carol->legacy_id, ==, "+4915100000009");
	g_assert_cmpint(carol->created_at, ==, 1600000000);
	/* and the new table works */
	pg_test_enqueue(fixture, "carol@example.org", PG_TEST_NUMBER_1, "first");
	pg_test_assert_due(fixture, PG_TEST_T0, "first");
}

static void
test_migration_from_v1_keeps_sealed_secrets(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) account = pg_account_new(PG_TEST_TRANSPORT, PG_TEST_ALICE,
						      PG_TEST_NUMBER_1);
	g_autoptr(PgAccount) got = NULL;

	/* an account written and sealed by today's code, then the file taken
	 * back to v1 as a v1 Polygate would have left it */
	pg_account_set_secret(account, "password", pg_secret_new_from_string(PG_TEST_PASSWORD));
	g_assert_true(pg_registry_put_account(fixture->registry, account, NULL, &error));
	g_assert_no_error(error);
	pg_test_registry_close(fixture);
	pg_test_sqlite_exec(fixture->db_path, "DROP TABLE sms_outbox; DROP TABLE sms_inbox;"
					      "PRAGMA user_version = 1;");

	pg_test_registry_open(fixture);
	g_assert_cmpint(pg_test_sqlite_int(fixture->db_path, "PRAGMA user_version;"), ==, 4);
	got = pg_registry_get_account(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(got, "password")), ==,
			PG_TEST_PASSWORD);
	g_assert_cmpint(pg_sms_queue_count_pending(fixture->registry, NULL, NULL, &error), ==, 0);
	g_assert_no_error(error);
}

static void
test_migration_from_v2_keeps_messages(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) got = NULL;
	gint64 id = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "before v3");

	/* the file taken back to v2, as a v2 Polygate left it (no want_receipt) */
	pg_test_registry_close(fixture);
	pg_test_sqlite_exec(fixture->db_path, "ALTER TABLE sms_outbox DROP COLUMN want_receipt;"
					      "DROP TABLE sms_inbox;"
					      "PRAGMA user_version = 2;");

	pg_test_registry_open(fixture);
	g_assert_cmpint(pg_test_sqlite_int(fixture->db_path, "PRAGMA user_version;"), ==, 4);
	got = pg_sms_queue_get(fixture->registry, id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pg_secret_get_string(got->body), ==, "before v3");
	g_assert_false(got->want_receipt);
	pg_test_assert_due(fixture, PG_TEST_T0, "before v3");
}

/* ---- receipts ---- */

/* The sender's receipt request is stored with the message: a delivery
 * report after a restart still finds it; without an xmpp_id there is
 * nothing to name in a receipt, so none is recorded. */
static void
test_receipt_request_survives_reopen(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) asked = NULL;
	g_autoptr(PgSmsMessage) plain = NULL;
	g_autoptr(PgSmsMessage) no_id = NULL;
	gint64 asked_id = pg_sms_queue_enqueue(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					       PG_TEST_NUMBER_1, (const guint8 *)"a", 1, "x-1", TRUE,
					       PG_TEST_T0, &error);
	gint64 plain_id = pg_sms_queue_enqueue(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					       PG_TEST_NUMBER_1, (const guint8 *)"b", 1, "x-2",
					       FALSE, PG_TEST_T0, &error);
	gint64 no_id_id = pg_sms_queue_enqueue(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					       PG_TEST_NUMBER_1, (const guint8 *)"c", 1, NULL, TRUE,
					       PG_TEST_T0, &error);

	g_assert_no_error(error);
	pg_test_registry_close(fixture);
	pg_test_registry_open(fixture);
	asked = pg_sms_queue_get(fixture->registry, asked_id, &error);
	g_assert_no_error(error);
	plain = pg_sms_queue_get(fixture->registry, plain_id, &error);
	g_assert_no_error(error);
	no_id = pg_sms_queue_get(fixture->registry, no_id_id, &error);
	g_assert_no_error(error);
	g_assert_true(asked->want_receipt);
	g_assert_false(plain->want_receipt);
	g_assert_false(no_id->want_receipt);
}

/* ---- order ---- */

static void
test_order_per_recipient(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) limited = NULL;
	gint64 a1 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a1");
	gint64 a2 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a2");
	gint64 b1 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_2, "b1");

	pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a3");
	/* bob writing to the same number is another queue */
	pg_test_enqueue(fixture, PG_TEST_BOB, PG_TEST_NUMBER_1, "c1");

	g_assert_cmpint(a1, <, a2);
	g_assert_cmpint(a2, <, b1);
	/* only the head of each queue, oldest first */
	pg_test_assert_due(fixture, PG_TEST_T0, "a1,b1,c1");
	/* nothing is due before it was written */
	pg_test_assert_due(fixture, PG_TEST_T0 - 1, "");
	limited = pg_sms_queue_next_due(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_T0, 2,
					&error);
	g_assert_no_error(error);
	g_assert_cmpuint(limited->len, ==, 2);
	g_clear_pointer(&limited, g_ptr_array_unref);
	limited = pg_sms_queue_next_due(fixture->registry, "other.example.org", PG_TEST_T0, 0,
					&error);
	g_assert_cmpuint(limited->len, ==, 0);

	/* in flight: its queue waits, the others do not */
	pg_test_mark_sending(fixture, a1, "pg-a1");
	pg_test_assert_due(fixture, PG_TEST_T0, "b1,c1");
	g_assert_true(pg_sms_queue_mark_accepted(fixture->registry, a1, NULL, PG_TEST_T0, &error));
	pg_test_assert_due(fixture, PG_TEST_T0, "a2,b1,c1");
	/* a failed head does not block its queue either */
	pg_test_mark_sending(fixture, a2, NULL);
	g_assert_true(pg_sms_queue_mark_failed(fixture->registry, a2, "rejected", PG_TEST_T0,
					       &error));
	pg_test_assert_due(fixture, PG_TEST_T0, "b1,a3,c1");
	g_assert_cmpint(pg_sms_queue_count_pending(fixture->registry, NULL, NULL, &error), ==, 3);
	g_assert_cmpint(pg_sms_queue_count_pending(fixture->registry, PG_TEST_TRANSPORT,
						   PG_TEST_BOB, &error),
			==, 1);
	g_assert_no_error(error);
}

static void
test_retry_blocks_the_same_recipient_only(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) message = NULL;
	gint64 a1 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a1");
	gint64 b1;

	pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a2");
	b1 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_2, "b1");

	pg_test_mark_sending(fixture, a1, NULL);
	g_assert_true(pg_sms_queue_mark_retry(fixture->registry, a1, 60, "Kannel: 503",
					      PG_TEST_T0, &error));
	g_assert_no_error(error);
	/* a1 waits for its retry and holds a2 back; b1 goes */
	pg_test_assert_due(fixture, PG_TEST_T0, "b1");
	pg_test_assert_due(fixture, PG_TEST_T0 + 59, "b1");
	pg_test_assert_due(fixture, PG_TEST_T0 + 60, "a1,b1");
	message = pg_test_get(fixture, a1);
	g_assert_cmpint(message->state, ==, PG_SMS_STATE_QUEUED);
	g_assert_cmpuint(message->attempts, ==, 1);
	g_assert_cmpint(message->next_attempt_at, ==, PG_TEST_T0 + 60);
	g_assert_cmpstr(message->last_error, ==, "Kannel: 503");

	/* when to look again: b1 is due now; once it is in flight, a1's time */
	g_assert_cmpint(pg_sms_queue_next_wakeup(fixture->registry, &error), ==, PG_TEST_T0);
	pg_test_mark_sending(fixture, b1, NULL);
	g_assert_cmpint(pg_sms_queue_next_wakeup(fixture->registry, &error), ==, PG_TEST_T0 + 60);
	g_assert_true(pg_sms_queue_mark_accepted(fixture->registry, b1, "pg-b1", PG_TEST_T0,
						 &error));
	/* the second attempt */
	pg_test_mark_sending(fixture, a1, NULL);
	g_assert_cmpint(pg_sms_queue_next_wakeup(fixture->registry, &error), ==, G_MAXINT64);
	g_assert_true(pg_sms_queue_mark_accepted(fixture->registry, a1, "pg-a1", PG_TEST_T0 + 61,
						 &error));
	g_clear_pointer(&message, pg_sms_message_free);
	message = pg_test_get(fixture, a1);
	g_assert_cmpuint(message->attempts, ==, 2);
	g_assert_null(message->last_error);
	pg_test_assert_due(fixture, PG_TEST_T0 + 61, "a2");
	g_assert_no_error(error);
}

/* ---- state changes and delivery reports ---- */

static void
test_accepted_and_delivered_by_legacy_id(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) found = NULL;
	gint64 a1 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a1");
	gint64 a2 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_2, "a2");

	/* the legacy id is known before sending: it goes into the dlr-url */
	pg_test_mark_sending(fixture, a1, "pg-1");
	found = pg_sms_queue_find_by_legacy_id(fixture->registry, PG_TEST_TRANSPORT, "pg-1",
					       &error);
	g_assert_no_error(error);
	g_assert_cmpint(found->id, ==, a1);
	g_assert_cmpstr(found->xmpp_id, ==, "xmpp-a1");
	g_assert_cmpstr(found->user_jid, ==, PG_TEST_ALICE);
	g_assert_cmpstr(pg_secret_get_string(found->body), ==, "a1");
	g_clear_pointer(&found, pg_sms_message_free);

	/* SMSC ack, then delivered */
	g_assert_true(pg_sms_queue_mark_accepted(fixture->registry, a1, NULL, PG_TEST_T0, &error));
	g_assert_true(pg_sms_queue_mark_delivered(fixture->registry, a1, PG_TEST_T0 + 5, &error));
	/* a repeated report is harmless */
	g_assert_true(pg_sms_queue_mark_delivered(fixture->registry, a1, PG_TEST_T0 + 6, &error));
	g_assert_no_error(error);
	found = pg_sms_queue_find_by_legacy_id(fixture->registry, PG_TEST_TRANSPORT, "pg-1",
					       &error);
	g_assert_cmpint(found->state, ==, PG_SMS_STATE_DELIVERED);
	g_assert_cmpstr(found->legacy_id, ==, "pg-1");
	g_assert_cmpint(found->updated_at, ==, PG_TEST_T0 + 6);
	g_clear_pointer(&found, pg_sms_message_free);

	/* a delivery report may beat the sendsms answer */
	pg_test_mark_sending(fixture, a2, "pg-2");
	g_assert_true(pg_sms_queue_mark_delivered(fixture->registry, a2, PG_TEST_T0, &error));
	/* ... and a failure report may come after acceptance */
	g_assert_false(pg_sms_queue_mark_failed(fixture->registry, a2, "x", PG_TEST_T0, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, "is delivered; it cannot become failed"));
	g_clear_error(&error);

	/* unknown ids, and a legacy id of another transport */
	found = pg_sms_queue_find_by_legacy_id(fixture->registry, "other.example.org", "pg-1",
					       &error);
	g_assert_null(found);
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(pg_sms_queue_mark_delivered(fixture->registry, 9999, PG_TEST_T0, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
	g_clear_error(&error);
}

typedef struct {
	const gchar *name;
	PgSmsState from;
	const gchar *action;
	gboolean allowed;
} PgTestTransitionCase;

static const PgTestTransitionCase pg_test_transition_cases[] = {
    {"queued-to-accepted", PG_SMS_STATE_QUEUED, "accepted", FALSE},
    {"queued-to-retry", PG_SMS_STATE_QUEUED, "retry", FALSE},
    {"queued-to-delivered", PG_SMS_STATE_QUEUED, "delivered", FALSE},
    {"queued-to-failed", PG_SMS_STATE_QUEUED, "failed", TRUE},
    {"sending-to-sending", PG_SMS_STATE_SENDING, "sending", FALSE},
    {"sending-to-retry", PG_SMS_STATE_SENDING, "retry", TRUE},
    {"accepted-to-sending", PG_SMS_STATE_ACCEPTED, "sending", FALSE},
    {"accepted-to-retry", PG_SMS_STATE_ACCEPTED, "retry", FALSE},
    {"accepted-to-failed", PG_SMS_STATE_ACCEPTED, "failed", TRUE},
    {"failed-to-sending", PG_SMS_STATE_FAILED, "sending", FALSE},
    {"failed-to-accepted", PG_SMS_STATE_FAILED, "accepted", FALSE},
    {"failed-to-delivered", PG_SMS_STATE_FAILED, "delivered", FALSE},
    {"delivered-to-retry", PG_SMS_STATE_DELIVERED, "retry", FALSE},
};

static gboolean
pg_test_apply(PgTestFixture *fixture, gint64 id, const gchar *action, GError **error)
{
	if (g_str_equal(action, "sending"))
		return pg_sms_queue_mark_sending(fixture->registry, id, NULL, PG_TEST_T0, error);
	if (g_str_equal(action, "accepted"))
		return pg_sms_queue_mark_accepted(fixture->registry, id, NULL, PG_TEST_T0, error);
	if (g_str_equal(action, "retry"))
		return pg_sms_queue_mark_retry(fixture->registry, id, 1, "e", PG_TEST_T0, error);
	if (g_str_equal(action, "failed"))
		return pg_sms_queue_mark_failed(fixture->registry, id, "e", PG_TEST_T0, error);
	if (g_str_equal(action, "delivered"))
		return pg_sms_queue_mark_delivered(fixture->registry, id, PG_TEST_T0, error);
	g_assert_not_reached();
}

static void
test_transitions(PgTestFixture *fixture, gconstpointer user_data)
{
	const PgTestTransitionCase *c = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) message = NULL;
	gint64 id = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "x");
	static const gchar *const path[][3] = {
	    [PG_SMS_STATE_QUEUED] = {NULL},
	    [PG_SMS_STATE_SENDING] = {"sending", NULL},
	    [PG_SMS_STATE_ACCEPTED] = {"sending", "accepted", NULL},
	    [PG_SMS_STATE_DELIVERED] = {"sending", "delivered", NULL},
	    [PG_SMS_STATE_FAILED] = {"failed", NULL},
	};

	for (guint i = 0; path[c->from][i] != NULL; i++)
		g_assert_true(pg_test_apply(fixture, id, path[c->from][i], NULL));
	message = pg_test_get(fixture, id);
	g_assert_cmpint(message->state, ==, c->from);
	if (c->allowed) {
		g_assert_true(pg_test_apply(fixture, id, c->action, &error));
		g_assert_no_error(error);
	} else {
		g_assert_false(pg_test_apply(fixture, id, c->action, &error));
		g_assert_error(error, PG_ERROR, PG_ERROR_CONFLICT);
		g_clear_pointer(&message, pg_sms_message_free);
		message = pg_test_get(fixture, id);
		g_assert_cmpint(message->state, ==, c->from);
	}
}

/* ---- expiry, restart, purge ---- */

static void
test_expiry(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) expired = NULL;
	g_autoptr(PgSmsMessage) stored = NULL;
	PgSmsMessage *message;
	gint64 old = pg_test_enqueue_at(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "old", PG_TEST_T0);
	gint64 in_flight;

	pg_test_enqueue_at(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "young", PG_TEST_T0 + 100);
	in_flight = pg_test_enqueue_at(fixture, PG_TEST_BOB, PG_TEST_NUMBER_2, "flying", PG_TEST_T0);
	pg_test_mark_sending(fixture, in_flight, NULL);
	/* old is retried, and keeps failing */
	pg_test_mark_sending(fixture, old, NULL);
	g_assert_true(pg_sms_queue_mark_retry(fixture->registry, old, 600, "Kannel: 503",
					      PG_TEST_T0 + 1, &error));

	expired = pg_sms_queue_expire(fixture->registry, PG_TEST_TRANSPORT, 3600,
				      PG_TEST_T0 + 3599, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(expired->len, ==, 0);
	g_clear_pointer(&expired, g_ptr_array_unref);
	/* another transport's clock is its own */
	expired = pg_sms_queue_expire(fixture->registry, "other.example.org", 1,
				      PG_TEST_T0 + 9999, &error);
	g_assert_cmpuint(expired->len, ==, 0);
	g_clear_pointer(&expired, g_ptr_array_unref);

	expired = pg_sms_queue_expire(fixture->registry, PG_TEST_TRANSPORT, 3600,
				      PG_TEST_T0 + 3600, &error);
	g_assert_no_error(error);
	/* only old: young is younger, flying is in flight */
	g_assert_cmpuint(expired->len, ==, 1);
	message = g_ptr_array_index(expired, 0);
	g_assert_cmpint(message->id, ==, old);
	g_assert_cmpint(message->state, ==, PG_SMS_STATE_FAILED);
	g_assert_cmpstr(message->xmpp_id, ==, "xmpp-old");
	g_assert_cmpstr(pg_secret_get_string(message->body), ==, "old");
	g_assert_cmpstr(message->last_error, ==, "not accepted by the SMS gateway within 3600 s");
	stored = pg_test_get(fixture, old);
	g_assert_cmpint(stored->state, ==, PG_SMS_STATE_FAILED);
	/* the queue moves on to the next message */
	pg_test_assert_due(fixture, PG_TEST_T0 + 3600, "young");
	g_clear_pointer(&expired, g_ptr_array_unref);
	expired = pg_sms_queue_expire(fixture->registry, PG_TEST_TRANSPORT, 3600,
				      PG_TEST_T0 + 3600, &error);
	g_assert_cmpuint(expired->len, ==, 0);
}

static void
test_survives_close_and_reopen(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(PgSmsMessage) message = NULL;
	gint64 a1 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a1 ✓");
	gint64 a2 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a2");
	gint64 a3;
	guint requeued = 0, deleted = 0;

	pg_test_enqueue(fixture, PG_TEST_BOB, PG_TEST_NUMBER_1, "bob's");
	pg_test_mark_sending(fixture, a1, "pg-a1");
	/* the daemon dies with a1 in flight */
	pg_test_registry_close(fixture);
	pg_test_registry_open(fixture);

	list = pg_sms_queue_list_for_user(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					  &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 2);
	message = g_ptr_array_steal_index(list, 0);
	g_assert_cmpint(message->id, ==, a1);
	g_assert_cmpint(message->state, ==, PG_SMS_STATE_SENDING);
	g_assert_cmpstr(pg_secret_get_string(message->body), ==, "a1 ✓");
	g_assert_cmpstr(message->recipient, ==, PG_TEST_NUMBER_1);
	g_assert_cmpint(message->created_at, ==, PG_TEST_T0);
	/* maybe sent, maybe not: send again rather than lose it */
	g_assert_true(pg_sms_queue_requeue_in_flight(fixture->registry, &requeued, PG_TEST_T0 + 10,
						     &error));
	g_assert_cmpuint(requeued, ==, 1);
	pg_test_assert_due(fixture, PG_TEST_T0 + 10, "a1 ✓,bob's");
	pg_test_mark_sending(fixture, a1, NULL);
	g_assert_true(pg_sms_queue_mark_accepted(fixture->registry, a1, NULL, PG_TEST_T0, &error));

	/* ids are never reused, even after a purge of the newest row */
	pg_test_mark_sending(fixture, a2, NULL);
	g_assert_true(pg_sms_queue_mark_failed(fixture->registry, a2, "x", PG_TEST_T0, &error));
	g_assert_true(pg_sms_queue_purge(fixture->registry, PG_TEST_T0, &deleted, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(deleted, ==, 2);
	a3 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "a3");
	g_assert_cmpint(a3, >, a2 + 1);
	g_assert_cmpint(pg_sms_queue_count_pending(fixture->registry, NULL, NULL, &error), ==, 2);
}

/* ---- secrecy ---- */

#define PG_TEST_SECRET_TEXT "meet me at the old mill at midnight 7391"

static void
test_body_is_not_on_disk(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *wal_path = g_strconcat(fixture->db_path, "-wal", NULL);
	g_autoptr(GBytes) db = NULL;
	g_autoptr(GBytes) wal = NULL;
	g_autoptr(GError) error = NULL;

	/* (not pg_test_enqueue(): its xmpp_id, in clear, repeats the text) */
	pg_sms_queue_enqueue(fixture->registry, PG_TEST_TRANSPORT, PG_TEST_ALICE, PG_TEST_NUMBER_1,
			     (const guint8 *)PG_TEST_SECRET_TEXT, strlen(PG_TEST_SECRET_TEXT),
			     "purple-42", FALSE, PG_TEST_T0, &error);
	g_assert_no_error(error);
	/* while open (the WAL holds the commit), then after a checkpoint */
	db = pg_test_read_file(fixture->db_path);
	wal = pg_test_read_file(wal_path);
	g_assert_nonnull(wal);
	g_assert_false(pg_test_bytes_contain(db, PG_TEST_SECRET_TEXT));
	g_assert_false(pg_test_bytes_contain(wal, PG_TEST_SECRET_TEXT));
	/* the plaintext columns are there, so the search itself works */
	g_assert_true(pg_test_bytes_contain(db, PG_TEST_NUMBER_1) ||
		      pg_test_bytes_contain(wal, PG_TEST_NUMBER_1));
	pg_test_registry_close(fixture);
	g_clear_pointer(&db, g_bytes_unref);
	g_clear_pointer(&wal, g_bytes_unref);
	db = pg_test_read_file(fixture->db_path);
	wal = pg_test_read_file(wal_path);
	g_assert_false(pg_test_bytes_contain(db, PG_TEST_SECRET_TEXT));
	g_assert_false(pg_test_bytes_contain(wal, PG_TEST_SECRET_TEXT));
	g_assert_true(pg_test_bytes_contain(db, PG_TEST_NUMBER_1));
}

static void
test_moved_body_is_refused(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) message = NULL;
	gint64 a1 = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "alice's text");
	gint64 b1 = pg_test_enqueue(fixture, PG_TEST_BOB, PG_TEST_NUMBER_2, "bob's text");
	gint64 b2 = pg_test_enqueue(fixture, PG_TEST_BOB, PG_TEST_NUMBER_2, "bob's next");
	g_autofree gchar *sql = NULL;

	pg_test_registry_close(fixture);
	/* alice's sealed text copied into bob's row; and a recipient changed */
	sql = g_strdup_printf("UPDATE sms_outbox SET body = (SELECT body FROM sms_outbox "
			      "WHERE id = %" G_GINT64_FORMAT ") WHERE id = %" G_GINT64_FORMAT ";"
			      "UPDATE sms_outbox SET recipient = '+4915199999999' "
			      "WHERE id = %" G_GINT64_FORMAT ";",
			      a1, b1, a1);
	pg_test_sqlite_exec(fixture->db_path, sql);
	pg_test_registry_open(fixture);

	message = pg_sms_queue_get(fixture->registry, b1, &error);
	g_assert_null(message);
	g_assert_error(error, PG_ERROR, PG_ERROR_CRYPTO);
	g_clear_error(&error);
	message = pg_sms_queue_get(fixture->registry, a1, &error);
	g_assert_null(message);
	g_assert_error(error, PG_ERROR, PG_ERROR_CRYPTO);
	g_clear_error(&error);

	/* the queues do not stall on them: they fail, loudly, and the rest goes */
	g_test_expect_message("PgRegistry", G_LOG_LEVEL_WARNING, "*body of SMS*");
	g_test_expect_message("PgRegistry", G_LOG_LEVEL_WARNING, "*body of SMS*");
	pg_test_assert_due(fixture, PG_TEST_T0, "");
	g_test_assert_expected_messages();
	pg_test_assert_due(fixture, PG_TEST_T0, "bob's next");
	g_clear_pointer(&message, pg_sms_message_free);
	message = pg_test_get(fixture, b2);
	g_assert_cmpint(message->state, ==, PG_SMS_STATE_QUEUED);
	g_assert_cmpint(pg_sms_queue_count_pending(fixture->registry, NULL, NULL, &error), ==, 1);
}

static void
test_rekey_reseals_bodies(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgSmsMessage) message = NULL;
	gint64 id = pg_test_enqueue(fixture, PG_TEST_ALICE, PG_TEST_NUMBER_1, "sealed twice");
	guint32 old_key = pg_vault_get_current_key_id(fixture->vault);
	guint resealed = 0;
	g_autofree gchar *sql = NULL;

	g_assert_true(pg_registry_rekey(fixture->registry, &resealed, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(resealed, ==, 1);
	g_assert_cmpuint(pg_vault_get_n_keys(fixture->vault), ==, 1);
	g_assert_cmpuint(pg_vault_get_current_key_id(fixture->vault), !=, old_key);
	/* readable with the new key file alone */
	pg_test_registry_close(fixture);
	pg_test_registry_open(fixture);
	message = pg_test_get(fixture, id);
	g_assert_cmpstr(pg_secret_get_string(message->body), ==, "sealed twice");
	sql = g_strdup_printf("SELECT COUNT(*) FROM sms_outbox WHERE substr(body, 1, 4) = "
			      "X'%08x';",
			      pg_vault_get_current_key_id(fixture->vault));
	g_assert_cmpint(pg_test_sqlite_int(fixture->db_path, sql), ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_registry_setup, func, pg_test_registry_teardown)
	PG_TEST_ADD("/sms-queue/migration/v1-database-keeps-accounts",
		    test_migration_from_v1_keeps_accounts);
	PG_TEST_ADD("/sms-queue/migration/v1-database-keeps-sealed-secrets",
		    test_migration_from_v1_keeps_sealed_secrets);
	PG_TEST_ADD("/sms-queue/migration/v2-database-keeps-messages",
		    test_migration_from_v2_keeps_messages);
	PG_TEST_ADD("/sms-queue/receipts/request-survives-reopen",
		    test_receipt_request_survives_reopen);
	PG_TEST_ADD("/sms-queue/order/one-in-flight-per-recipient-oldest-first",
		    test_order_per_recipient);
	PG_TEST_ADD("/sms-queue/order/retry-blocks-the-same-recipient-only",
		    test_retry_blocks_the_same_recipient_only);
	PG_TEST_ADD("/sms-queue/dlr/accepted-and-delivered-by-legacy-id",
		    test_accepted_and_delivered_by_legacy_id);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_test_transition_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sms-queue/transition/%s",
							 pg_test_transition_cases[i].name);
		g_test_add(path, PgTestFixture, &pg_test_transition_cases[i],
			   pg_test_registry_setup, test_transitions, pg_test_registry_teardown);
	}
	PG_TEST_ADD("/sms-queue/expiry/old-unaccepted-messages-fail", test_expiry);
	PG_TEST_ADD("/sms-queue/durable/survives-close-and-reopen", test_survives_close_and_reopen);
	PG_TEST_ADD("/sms-queue/secrecy/body-is-not-on-disk", test_body_is_not_on_disk);
	PG_TEST_ADD("/sms-queue/secrecy/moved-body-is-refused-and-does-not-stall",
		    test_moved_body_is_refused);
	PG_TEST_ADD("/sms-queue/secrecy/rekey-reseals-bodies", test_rekey_reseals_bodies);
#undef PG_TEST_ADD
	return g_test_run();
}
