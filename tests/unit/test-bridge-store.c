/* Unit tests of src/bridge/pg-bridge-store*.c and pg-bridge-spool.c (the
 * community bridges' own state, issue 11): consent given and revoked,
 * phases, the id map found by either XEP-0359 id and kept bounded, counters
 * turned into lines per minute, status, the spool deduplicated and read in
 * order, the bridges made by command kept, a reopened file going on, a
 * newer schema refused. */
#define G_LOG_DOMAIN "test-bridge-store"

#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "bridge/pg-bridge-store.h"
#include "core/pg-error.h"

#include "pg-test-registry.h"

#define PG_TEST_MINUTE (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC)
/* 2026-12-03 10:00:00 UTC, a whole minute */
#define PG_TEST_NOW (G_GINT64_CONSTANT(1796292000) * G_USEC_PER_SEC)

typedef struct {
	gchar *dir;
	gchar *path;
	PgBridgeStore *store;
} PgTestFixture;

static void
pg_test_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fixture->dir = g_dir_make_tmp("test-bridge-store-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->path = g_build_filename(fixture->dir, "registry.sqlite.bridge", NULL);
	fixture->store = pg_bridge_store_open(fixture->path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(fixture->store);
}

static void
pg_test_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	g_clear_pointer(&fixture->store, pg_bridge_store_free);
	pg_test_rm_rf(fixture->dir);
	g_free(fixture->path);
	g_free(fixture->dir);
}

static void
pg_test_reopen(PgTestFixture *fixture)
{
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&fixture->store, pg_bridge_store_free);
	fixture->store = pg_bridge_store_open(fixture->path, &error);
	g_assert_no_error(error);
}

static void
test_bridge_store_default_path_and_mode(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *path = pg_bridge_store_default_path("/var/lib/polygate/registry.sqlite");
	GStatBuf st;

	g_assert_cmpstr(path, ==, "/var/lib/polygate/registry.sqlite.bridge");
	g_assert_cmpint(g_stat(fixture->path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
}

static void
test_bridge_store_consent(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_auto(PgBridgeConsent) consent = {0};

	/* never approved: no consent, and nothing to revoke */
	g_assert_false(pg_bridge_store_has_consent(fixture->store, "libera-foo"));
	g_assert_false(pg_bridge_store_revoke(fixture->store, "libera-foo", "op!o@h", PG_TEST_NOW,
					      &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
	g_clear_error(&error);
	g_assert_true(pg_bridge_store_get_consent(fixture->store, "libera-foo", &consent, &error));
	g_assert_no_error(error);
	g_assert_null(consent.approved_by);

	g_assert_true(pg_bridge_store_approve(fixture->store, "libera-foo", "op!~op@host",
					      PG_TEST_NOW, &error));
	g_assert_no_error(error);
	g_assert_true(pg_bridge_store_has_consent(fixture->store, "libera-foo"));
	g_assert_false(pg_bridge_store_has_consent(fixture->store, "libera-bar"));

	g_assert_true(pg_bridge_store_revoke(fixture->store, "libera-foo", "op2!~o@h",
					     PG_TEST_NOW + 5, &error));
	g_assert_no_error(error);
	g_assert_false(pg_bridge_store_has_consent(fixture->store, "libera-foo"));
	pg_test_reopen(fixture);
	g_assert_true(pg_bridge_store_get_consent(fixture->store, "libera-foo", &consent, &error));
	g_assert_cmpstr(consent.approved_by, ==, "op!~op@host");
	g_assert_cmpint(consent.approved_us, ==, PG_TEST_NOW);
	g_assert_cmpstr(consent.revoked_by, ==, "op2!~o@h");
	g_assert_cmpint(consent.revoked_us, ==, PG_TEST_NOW + 5);

	/* a new approval clears the revocation */
	g_assert_true(pg_bridge_store_approve(fixture->store, "libera-foo", "op!~op@host",
					      PG_TEST_NOW + 10, &error));
	g_assert_true(pg_bridge_store_has_consent(fixture->store, "libera-foo"));
}

static void
test_bridge_store_phase(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) names = NULL;
	g_autofree gchar *unknown = pg_bridge_store_get_phase(fixture->store, "b");
	g_autofree gchar *kept = NULL;
	g_autofree gchar *removed = NULL;

	g_assert_cmpstr(unknown, ==, "pending");
	g_assert_true(pg_bridge_store_set_phase(fixture->store, "b", "readonly", PG_TEST_NOW,
						&error));
	g_assert_no_error(error);
	pg_test_reopen(fixture);
	kept = pg_bridge_store_get_phase(fixture->store, "b");
	g_assert_cmpstr(kept, ==, "readonly");

	names = pg_bridge_store_list(fixture->store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(names), ==, 1);
	g_assert_true(pg_bridge_store_remove(fixture->store, "b", &error));
	removed = pg_bridge_store_get_phase(fixture->store, "b");
	g_assert_cmpstr(removed, ==, "pending");
}

static gint64
pg_test_map_add(PgTestFixture *fixture, const gchar *bridge, const gchar *stanza_id,
		const gchar *origin_id, const gchar *text, gint64 time_us)
{
	g_autoptr(GError) error = NULL;
	PgBridgeMapEntry entry = {
	    .direction = PG_BRIDGE_TO_LEGACY,
	    .stanza_id = (gchar *)stanza_id,
	    .origin_id = (gchar *)origin_id,
	    .nick = (gchar *)"alice",
	    .text = (gchar *)text,
	    .time_us = time_us,
	};
	gint64 id = pg_bridge_store_map_add(fixture->store, bridge, &entry, &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	return id;
}

static void
test_bridge_store_map_finds_by_either_id(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgBridgeMapEntry) by_origin = NULL;
	g_autoptr(PgBridgeMapEntry) by_stanza = NULL;
	g_autoptr(PgBridgeMapEntry) other_bridge = NULL;
	PgBridgeMapEntry empty = {.direction = PG_BRIDGE_TO_XMPP, .nick = (gchar *)"bob"};
	gint64 id = pg_test_map_add(fixture, "b", NULL, "origin-1", "hello", PG_TEST_NOW);

	/* neither id: nothing to find it by later */
	g_assert_cmpint(pg_bridge_store_map_add(fixture->store, "b", &empty, &error), ==, 0);
	g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
	g_clear_error(&error);

	by_origin = pg_bridge_store_map_find(fixture->store, "b", "origin-1", &error);
	g_assert_no_error(error);
	g_assert_nonnull(by_origin);
	g_assert_cmpint(by_origin->id, ==, id);
	g_assert_null(by_origin->stanza_id);

	/* the room reflects it with its stanza-id */
	g_assert_true(pg_bridge_store_map_set_stanza_id(fixture->store, "b", "origin-1", "sid-1",
							&error));
	g_assert_no_error(error);
	by_stanza = pg_bridge_store_map_find(fixture->store, "b", "sid-1", &error);
	g_assert_nonnull(by_stanza);
	g_assert_cmpint(by_stanza->id, ==, id);
	g_assert_cmpstr(by_stanza->origin_id, ==, "origin-1");
	g_assert_cmpstr(by_stanza->nick, ==, "alice");
	g_assert_cmpstr(by_stanza->text, ==, "hello");
	g_assert_cmpint(by_stanza->direction, ==, PG_BRIDGE_TO_LEGACY);

	/* bridges are apart: another bridge's room may reuse an id */
	other_bridge = pg_bridge_store_map_find(fixture->store, "c", "sid-1", &error);
	g_assert_no_error(error);
	g_assert_null(other_bridge);
	g_assert_false(pg_bridge_store_map_set_stanza_id(fixture->store, "c", "origin-1", "x",
							 &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
}

static gboolean
pg_test_timeout_cb(gpointer user_data)
{
	gboolean *expired = user_data;

	*expired = TRUE;
	return G_SOURCE_REMOVE;
}

/* The map's writes are grouped into one transaction per 50 ms: another
 * connection (the CLI, a restarted daemon) sees them once the main loop
 * has run the commit timer, and can write again, with no further call. */
static void
test_bridge_store_map_commits_by_itself(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgBridgeStore) other = pg_bridge_store_open(fixture->path, &error);
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_line_free);
	g_autoptr(PgBridgeMapEntry) seen = NULL;
	gboolean expired = FALSE;
	guint timeout_id;

	g_assert_no_error(error);
	pg_test_map_add(fixture, "b", "sid-hot", NULL, "x", PG_TEST_NOW);
	timeout_id = g_timeout_add(5000, pg_test_timeout_cb, &expired);
	while (!expired) {
		g_clear_pointer(&seen, pg_bridge_map_entry_free);
		seen = pg_bridge_store_map_find(other, "b", "sid-hot", &error);
		g_assert_no_error(error);
		if (seen != NULL)
			break;
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_false(expired);
	g_source_remove(timeout_id);
	/* the other connection writes while this one stays open */
	g_ptr_array_add(lines, pg_bridge_line_new(PG_TEST_NOW, "a", PG_BRIDGE_LINE_MESSAGE, "t"));
	g_assert_true(pg_bridge_store_spool_add(other, "b", lines, "x.log", NULL, NULL, &error));
	g_assert_no_error(error);
}

static void
test_bridge_store_map_cuts_long_text(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GString) text = g_string_new("");
	g_autoptr(PgBridgeMapEntry) entry = NULL;

	/* 3-byte characters: a cut at 1024 bytes falls inside one */
	for (guint i = 0; i < 1000; i++)
		g_string_append(text, "€");
	pg_test_map_add(fixture, "b", "sid", NULL, text->str, PG_TEST_NOW);
	entry = pg_bridge_store_map_find(fixture->store, "b", "sid", NULL);
	g_assert_nonnull(entry);
	g_assert_cmpuint(strlen(entry->text), ==, 1023);
	g_assert_true(g_utf8_validate(entry->text, -1, NULL));
}

static void
test_bridge_store_map_is_bounded(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgBridgeMapEntry) oldest = NULL;
	g_autoptr(PgBridgeMapEntry) newest = NULL;
	g_autoptr(PgBridgeMapEntry) kept = NULL;

	pg_bridge_store_set_map_limit(fixture->store, 100);
	for (guint i = 0; i < 1000; i++) {
		g_autofree gchar *sid = g_strdup_printf("sid-%u", i);
		pg_test_map_add(fixture, "b", sid, NULL, "x", PG_TEST_NOW + i);
	}
	oldest = pg_bridge_store_map_find(fixture->store, "b", "sid-0", &error);
	g_assert_no_error(error);
	g_assert_null(oldest);
	newest = pg_bridge_store_map_find(fixture->store, "b", "sid-999", &error);
	g_assert_nonnull(newest);
	/* within 110 % of the limit: the last 100 are always there */
	kept = pg_bridge_store_map_find(fixture->store, "b", "sid-900", &error);
	g_assert_nonnull(kept);

	/* by age */
	g_assert_cmpint(pg_bridge_store_map_prune(fixture->store, "b", PG_TEST_NOW + 950, &error),
			>=, 50);
	g_assert_no_error(error);
	g_clear_pointer(&kept, pg_bridge_map_entry_free);
	kept = pg_bridge_store_map_find(fixture->store, "b", "sid-900", &error);
	g_assert_null(kept);
}

static PgBridgeStatus *
pg_test_status(PgTestFixture *fixture, const gchar *bridge, gint64 now_us)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) statuses =
	    pg_bridge_store_status(fixture->store, bridge, now_us, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(statuses->len, ==, 1);
	return g_ptr_array_steal_index(statuses, 0);
}

static void
test_bridge_store_counts_lines_per_minute(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(PgBridgeStatus) status = NULL;
	g_autoptr(PgBridgeStatus) later = NULL;
	g_autoptr(GError) error = NULL;

	/* 600 lines to the room and 60 to IRC over the last five minutes */
	for (guint minute = 0; minute < 5; minute++) {
		for (guint i = 0; i < 120; i++)
			pg_bridge_store_count(fixture->store, "b", PG_BRIDGE_TO_XMPP, 1,
					      PG_TEST_NOW + minute * PG_TEST_MINUTE + i);
		pg_bridge_store_count(fixture->store, "b", PG_BRIDGE_TO_LEGACY, 12,
				      PG_TEST_NOW + minute * PG_TEST_MINUTE);
	}
	g_assert_true(pg_bridge_store_set_error(fixture->store, "b", PG_BRIDGE_TO_LEGACY,
						"ERROR :Closing Link (Excess Flood)", PG_TEST_NOW,
						&error));
	g_assert_no_error(error);
	/* the counts survive a close and a reopen (written at free) */
	pg_test_reopen(fixture);
	status = pg_test_status(fixture, "b", PG_TEST_NOW + 5 * PG_TEST_MINUTE);
	g_assert_cmpuint(status->lines[PG_BRIDGE_TO_XMPP], ==, 600);
	g_assert_cmpuint(status->lines[PG_BRIDGE_TO_LEGACY], ==, 60);
	g_assert_cmpfloat_with_epsilon(status->lines_per_minute[PG_BRIDGE_TO_XMPP], 120.0, 0.01);
	g_assert_cmpfloat_with_epsilon(status->lines_per_minute[PG_BRIDGE_TO_LEGACY], 12.0, 0.01);
	g_assert_cmpstr(status->last_error[PG_BRIDGE_TO_LEGACY], ==,
			"ERROR :Closing Link (Excess Flood)");
	g_assert_null(status->last_error[PG_BRIDGE_TO_XMPP]);

	/* an hour later the rate is 0, the totals stay */
	later = pg_test_status(fixture, "b", PG_TEST_NOW + 65 * PG_TEST_MINUTE);
	g_assert_cmpfloat(later->lines_per_minute[PG_BRIDGE_TO_XMPP], ==, 0.0);
	g_assert_cmpuint(later->lines[PG_BRIDGE_TO_XMPP], ==, 600);
}

static void
test_bridge_store_status_puppets_and_occupants(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgBridgeStatus) status = NULL;
	g_autoptr(GPtrArray) none = NULL;

	g_assert_true(pg_bridge_store_set_puppet(fixture->store, "b", "alice", TRUE, PG_TEST_NOW,
						 &error));
	g_assert_true(pg_bridge_store_set_puppet(fixture->store, "b", "bob", TRUE, PG_TEST_NOW,
						 &error));
	g_assert_true(pg_bridge_store_set_puppet(fixture->store, "b", "carol", FALSE, PG_TEST_NOW,
						 &error));
	g_assert_true(pg_bridge_store_set_puppet(fixture->store, "b", "bob", FALSE, PG_TEST_NOW,
						 &error));
	g_assert_true(pg_bridge_store_remove_puppet(fixture->store, "b", "carol", &error));
	g_assert_true(pg_bridge_store_set_occupants(fixture->store, "b", 3, 4, PG_TEST_NOW,
						    &error));
	g_assert_true(pg_bridge_store_approve(fixture->store, "b", "op", PG_TEST_NOW, &error));
	g_assert_true(pg_bridge_store_set_phase(fixture->store, "b", "live", PG_TEST_NOW, &error));
	g_assert_no_error(error);
	status = pg_test_status(fixture, "b", PG_TEST_NOW);
	g_assert_cmpstr(status->bridge, ==, "b");
	g_assert_cmpstr(status->phase, ==, "live");
	g_assert_cmpint(status->phase_us, ==, PG_TEST_NOW);
	g_assert_cmpstr(status->consent.approved_by, ==, "op");
	g_assert_cmpuint(status->puppets, ==, 2);
	g_assert_cmpuint(status->puppets_healthy, ==, 1);
	g_assert_cmpuint(status->occupants[PG_BRIDGE_TO_LEGACY], ==, 3);
	g_assert_cmpuint(status->occupants[PG_BRIDGE_TO_XMPP], ==, 4);

	none = pg_bridge_store_status(fixture->store, "nope", PG_TEST_NOW, &error);
	g_assert_null(none);
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
}

static GPtrArray *
pg_test_lines(void)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_line_free);

	/* out of order on purpose: the spool orders by time */
	g_ptr_array_add(lines, pg_bridge_line_new(PG_TEST_NOW + 2, "bob", PG_BRIDGE_LINE_MESSAGE,
						  "second"));
	g_ptr_array_add(lines, pg_bridge_line_new(PG_TEST_NOW + 1, "alice", PG_BRIDGE_LINE_ACTION,
						  "waves"));
	g_ptr_array_add(lines, pg_bridge_line_new(PG_TEST_NOW + 2, "bob", PG_BRIDGE_LINE_MESSAGE,
						  "third, same second"));
	g_ptr_array_add(lines, pg_bridge_line_new(PG_TEST_NOW + 3, "carol", PG_BRIDGE_LINE_JOIN, ""));
	return lines;
}

static void
test_bridge_store_spool(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) lines = pg_test_lines();
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GPtrArray) page = NULL;
	g_autoptr(GPtrArray) pending = NULL;
	g_autoptr(PgBridgeStatus) status = NULL;
	PgBridgeSpoolItem *item;
	guint added = 0, duplicates = 0;

	g_assert_true(pg_bridge_store_spool_add(fixture->store, "b", lines, "#foo.log", &added,
						&duplicates, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(added, ==, 4);
	g_assert_cmpuint(duplicates, ==, 0);
	/* the same file again adds nothing */
	g_assert_true(pg_bridge_store_spool_add(fixture->store, "b", lines, "#foo.log", &added,
						&duplicates, &error));
	g_assert_cmpuint(added, ==, 0);
	g_assert_cmpuint(duplicates, ==, 4);

	all = pg_bridge_store_spool_read(fixture->store, "b", G_MININT64, 0, 100, FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(all->len, ==, 4);
	item = g_ptr_array_index(all, 0);
	g_assert_cmpstr(item->line->text, ==, "waves");
	g_assert_cmpint(item->line->kind, ==, PG_BRIDGE_LINE_ACTION);
	g_assert_cmpstr(item->source, ==, "#foo.log");
	g_assert_cmpstr(((PgBridgeSpoolItem *)g_ptr_array_index(all, 1))->line->text, ==, "second");
	g_assert_cmpstr(((PgBridgeSpoolItem *)g_ptr_array_index(all, 2))->line->text, ==,
			"third, same second");

	/* paging by (time, id) does not lose the second line of a second */
	item = g_ptr_array_index(all, 1);
	page = pg_bridge_store_spool_read(fixture->store, "b", item->line->time_us, item->id, 1,
					  FALSE, &error);
	g_assert_cmpuint(page->len, ==, 1);
	g_assert_cmpstr(((PgBridgeSpoolItem *)g_ptr_array_index(page, 0))->line->text, ==,
			"third, same second");

	/* replay marks */
	item = g_ptr_array_index(all, 0);
	g_assert_true(pg_bridge_store_spool_mark_replayed(fixture->store, item->id, "sid-1",
							  PG_TEST_NOW, &error));
	g_assert_no_error(error);
	g_assert_false(pg_bridge_store_spool_mark_replayed(fixture->store, 999999, NULL,
							   PG_TEST_NOW, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND);
	g_clear_error(&error);
	pending = pg_bridge_store_spool_read(fixture->store, "b", G_MININT64, 0, 100, TRUE, &error);
	g_assert_cmpuint(pending->len, ==, 3);
	status = pg_test_status(fixture, "b", PG_TEST_NOW);
	g_assert_cmpuint(status->spool_total, ==, 4);
	g_assert_cmpuint(status->spool_pending, ==, 3);

	g_assert_cmpint(pg_bridge_store_spool_clear(fixture->store, "b", &error), ==, 4);
}

/* Bridges made by command are kept, oldest first, by name once; dropping
 * one leaves its state, removing its state leaves no trace for status, even
 * of counts not written yet. */
static void
test_bridge_store_made(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) made = NULL;
	g_auto(GStrv) names = NULL;

	g_autoptr(GBytes) sealed = g_bytes_new_static("sealed\0blob", 11);
	g_autoptr(GBytes) got = NULL;

	g_assert_true(pg_bridge_store_add_made(fixture->store, "b", "[bridge b]\n", NULL,
					       "admin@x", PG_TEST_NOW + 1, &error));
	g_assert_true(pg_bridge_store_add_made(fixture->store, "a", "[bridge a]\n", sealed,
					       "admin@x", PG_TEST_NOW + 2, &error));
	g_assert_false(pg_bridge_store_add_made(fixture->store, "a", "[bridge a]\nx=1\n", NULL,
						"admin@x", PG_TEST_NOW + 3, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_CONFLICT);
	g_clear_error(&error);
	pg_test_reopen(fixture);
	made = pg_bridge_store_list_made(fixture->store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(made->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(made, 0), ==, "[bridge b]\n");
	g_assert_cmpstr(g_ptr_array_index(made, 1), ==, "[bridge a]\n");
	g_clear_pointer(&made, g_ptr_array_unref);
	/* the sealed password comes back byte for byte, only for its bridge */
	got = pg_bridge_store_get_made_sasl(fixture->store, "a", &error);
	g_assert_no_error(error);
	g_assert_nonnull(got);
	g_assert_true(g_bytes_equal(got, sealed));
	g_clear_pointer(&got, g_bytes_unref);
	g_assert_null(pg_bridge_store_get_made_sasl(fixture->store, "b", &error));
	g_assert_no_error(error);

	g_assert_true(pg_bridge_store_approve(fixture->store, "a", "op", PG_TEST_NOW, &error));
	pg_bridge_store_count(fixture->store, "a", PG_BRIDGE_TO_XMPP, 3, PG_TEST_NOW);
	g_assert_true(pg_bridge_store_drop_made(fixture->store, "a", &error));
	g_assert_null(pg_bridge_store_get_made_sasl(fixture->store, "a", &error));
	g_assert_no_error(error);
	g_assert_true(pg_bridge_store_has_consent(fixture->store, "a"));
	g_assert_true(pg_bridge_store_remove(fixture->store, "a", &error));
	g_assert_no_error(error);
	g_assert_true(pg_bridge_store_flush(fixture->store, &error));
	names = pg_bridge_store_list(fixture->store, &error);
	g_assert_no_error(error);
	g_assert_false(g_strv_contains((const gchar *const *)names, "a"));
	made = pg_bridge_store_list_made(fixture->store, &error);
	g_assert_cmpuint(made->len, ==, 1);
}

static void
test_bridge_store_refuses_a_newer_schema(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("test-bridge-store-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "bridge.sqlite", NULL);
	g_autoptr(PgBridgeStore) store = NULL;
	sqlite3 *db = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "PRAGMA user_version = 99;", NULL, NULL, NULL), ==,
			SQLITE_OK);
	sqlite3_close(db);
	store = pg_bridge_store_open(path, &error);
	g_assert_null(store);
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
	g_assert_nonnull(strstr(error->message, "99"));
	pg_test_rm_rf(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func)                                                                          \
	g_test_add(path, PgTestFixture, NULL, pg_test_setup, func, pg_test_teardown)
	ADD("/bridge-store/open/default-path-and-0600", test_bridge_store_default_path_and_mode);
	ADD("/bridge-store/consent/approve-revoke-approve", test_bridge_store_consent);
	ADD("/bridge-store/phase/kept-and-removed", test_bridge_store_phase);
	ADD("/bridge-store/map/found-by-either-id", test_bridge_store_map_finds_by_either_id);
	ADD("/bridge-store/map/commits-by-itself", test_bridge_store_map_commits_by_itself);
	ADD("/bridge-store/map/cuts-long-text-on-a-character",
	    test_bridge_store_map_cuts_long_text);
	ADD("/bridge-store/map/bounded-by-count-and-age", test_bridge_store_map_is_bounded);
	ADD("/bridge-store/status/lines-per-minute", test_bridge_store_counts_lines_per_minute);
	ADD("/bridge-store/status/puppets-and-occupants",
	    test_bridge_store_status_puppets_and_occupants);
	ADD("/bridge-store/spool/dedupe-order-replay", test_bridge_store_spool);
	ADD("/bridge-store/made/kept-listed-dropped", test_bridge_store_made);
#undef ADD
	g_test_add_func("/bridge-store/schema/refuses-a-newer-one",
			test_bridge_store_refuses_a_newer_schema);
	return g_test_run();
}
