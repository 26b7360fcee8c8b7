/* Unit tests of src/history/pg-history.c (the rooms' archive) and of the
 * history* config keys (src/core/pg-config-history.c): ids that order and
 * date the lines, paging both ways, filters, users kept apart, the count
 * and age limits, persistence, and a reopened file going on. */
#define G_LOG_DOMAIN "test-history"

#include "config.h"

#include <glib/gstdio.h>

#include "core/pg-config-history.h"
#include "core/pg-error.h"
#include "history/pg-history.h"

#include "pg-test-registry.h"

#define PG_TEST_TRANSPORT "irc.example.org"
#define PG_TEST_ALICE	  "alice@example.org"
#define PG_TEST_BOB	  "bob@example.org"
#define PG_TEST_SERVER	  "irc.example.net"

typedef struct {
	gchar *dir;
	gchar *path;
	PgHistory *history;
} PgTestFixture;

static void
pg_test_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fixture->dir = g_dir_make_tmp("test-history-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->path = g_build_filename(fixture->dir, "history.sqlite", NULL);
	fixture->history = pg_history_open(fixture->path, &error);
	g_assert_no_error(error);
}

static void
pg_test_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	g_clear_pointer(&fixture->history, pg_history_free);
	pg_test_rm_rf(fixture->dir);
	g_free(fixture->path);
	g_free(fixture->dir);
}

static gint64
pg_test_room(PgTestFixture *fixture, const gchar *user_jid, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	gint64 room = pg_history_room(fixture->history, PG_TEST_TRANSPORT, user_jid,
				      PG_TEST_SERVER, name, &error);
	g_assert_no_error(error);
	g_assert_cmpint(room, >, 0);
	return room;
}

/* @n lines "0".."n-1" said by "bob"; their ids. */
static GArray *
pg_test_fill(PgTestFixture *fixture, gint64 room, guint n)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint64));

	for (guint i = 0; i < n; i++) {
		g_autofree gchar *body = g_strdup_printf("%u", i);
		guint64 id = pg_history_append(fixture->history, room, "bob", body);
		g_array_append_val(ids, id);
	}
	return ids;
}

/* The bodies a query returns, joined by ','. */
static gchar *
pg_test_bodies(PgTestFixture *fixture, const PgHistoryQuery *query, gboolean *complete)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) items = pg_history_query(fixture->history, query, complete, &error);
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_no_error(error);
	for (guint i = 0; i < items->len; i++) {
		const PgHistoryItem *item = g_ptr_array_index(items, i);
		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append(out, item->body);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
test_history_ids_increase_and_carry_the_time(PgTestFixture *fixture, gconstpointer user_data)
{
	gint64 before = g_get_real_time();
	g_autoptr(GArray) ids = pg_test_fill(fixture, pg_test_room(fixture, PG_TEST_ALICE, "#a"), 100);
	gint64 after = g_get_real_time();

	for (guint i = 1; i < ids->len; i++)
		g_assert_cmpuint(g_array_index(ids, guint64, i), >, g_array_index(ids, guint64, i - 1));
	g_assert_cmpint((gint64)g_array_index(ids, guint64, 0), >=, before);
	/* 100 lines in the same microsecond still get 100 ids */
	g_assert_cmpint((gint64)g_array_index(ids, guint64, 99), <=, after + 100);
}

static void
test_history_pages_forward_and_backward(PgTestFixture *fixture, gconstpointer user_data)
{
	gint64 room = pg_test_room(fixture, PG_TEST_ALICE, "#a");
	g_autoptr(GArray) ids = pg_test_fill(fixture, room, 10);
	PgHistoryQuery query = {.room = room, .max = 4};
	gboolean complete = TRUE;
	g_autofree gchar *first = pg_test_bodies(fixture, &query, &complete);
	g_autofree gchar *next = NULL;
	g_autofree gchar *last = NULL;
	g_autofree gchar *previous = NULL;
	g_autofree gchar *tail = NULL;

	g_assert_cmpstr(first, ==, "0,1,2,3");
	g_assert_false(complete);
	query.after_id = g_array_index(ids, guint64, 3);
	next = pg_test_bodies(fixture, &query, &complete);
	g_assert_cmpstr(next, ==, "4,5,6,7");
	g_assert_false(complete);
	query.after_id = g_array_index(ids, guint64, 7);
	tail = pg_test_bodies(fixture, &query, &complete);
	g_assert_cmpstr(tail, ==, "8,9");
	g_assert_true(complete);

	/* RSM <before/>: the last page, still oldest first */
	query = (PgHistoryQuery){.room = room, .max = 4, .last = TRUE};
	last = pg_test_bodies(fixture, &query, &complete);
	g_assert_cmpstr(last, ==, "6,7,8,9");
	g_assert_false(complete);
	query.before_id = g_array_index(ids, guint64, 2);
	previous = pg_test_bodies(fixture, &query, &complete);
	g_assert_cmpstr(previous, ==, "0,1");
	g_assert_true(complete);
}

static void
test_history_filters_by_nick_and_time(PgTestFixture *fixture, gconstpointer user_data)
{
	gint64 room = pg_test_room(fixture, PG_TEST_ALICE, "#a");
	g_autoptr(GArray) ids = pg_test_fill(fixture, room, 5);
	PgHistoryQuery query = {.room = room, .max = 50, .nick = "carol"};
	g_autofree gchar *none = NULL;
	g_autofree gchar *carol = NULL;
	g_autofree gchar *window = NULL;

	none = pg_test_bodies(fixture, &query, NULL);
	g_assert_cmpstr(none, ==, "");
	pg_history_append(fixture->history, room, "Carol", "hi");
	/* IRC nicks match whatever their case */
	carol = pg_test_bodies(fixture, &query, NULL);
	g_assert_cmpstr(carol, ==, "hi");
	/* start and end are inclusive, on the ids' times */
	query = (PgHistoryQuery){.room = room,
				 .max = 50,
				 .start_us = (gint64)g_array_index(ids, guint64, 1),
				 .end_us = (gint64)g_array_index(ids, guint64, 3)};
	window = pg_test_bodies(fixture, &query, NULL);
	g_assert_cmpstr(window, ==, "1,2,3");
}

static void
test_history_keeps_users_and_rooms_apart(PgTestFixture *fixture, gconstpointer user_data)
{
	gint64 alice = pg_test_room(fixture, PG_TEST_ALICE, "#a");
	gint64 bob = pg_test_room(fixture, PG_TEST_BOB, "#a");
	gint64 other = pg_test_room(fixture, PG_TEST_ALICE, "#b");
	guint64 id;
	PgHistoryQuery query = {.room = bob, .max = 50};
	g_autofree gchar *bodies = NULL;

	g_assert_cmpint(alice, !=, bob);
	g_assert_cmpint(alice, !=, other);
	/* rooms match whatever their case */
	g_assert_cmpint(pg_test_room(fixture, PG_TEST_ALICE, "#A"), ==, alice);
	id = pg_history_append(fixture->history, alice, "x", "only alice saw this");
	pg_history_append(fixture->history, other, "x", "another room");
	bodies = pg_test_bodies(fixture, &query, NULL);
	g_assert_cmpstr(bodies, ==, "");
	g_assert_true(pg_history_contains(fixture->history, alice, id));
	g_assert_false(pg_history_contains(fixture->history, bob, id));
	g_assert_cmpint(pg_history_find_room(fixture->history, PG_TEST_TRANSPORT,
					     "nobody@example.org", PG_TEST_SERVER, "#a"),
			==, 0);
}

static void
test_history_keeps_at_most_the_limit(PgTestFixture *fixture, gconstpointer user_data)
{
	gint64 room = pg_test_room(fixture, PG_TEST_ALICE, "#a");
	g_autoptr(GArray) ids = NULL;
	PgHistoryQuery query = {.room = room, .max = 1000};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) items = NULL;

	pg_history_set_keep(fixture->history, room, 16);
	ids = pg_test_fill(fixture, room, 100);
	items = pg_history_query(fixture->history, &query, NULL, &error);
	g_assert_no_error(error);
	/* pruned each time it grew by an eighth: never more than 9/8 of it */
	g_assert_cmpuint(items->len, >=, 16);
	g_assert_cmpuint(items->len, <=, 18);
	g_assert_cmpstr(((PgHistoryItem *)g_ptr_array_index(items, items->len - 1))->body, ==,
			"99");
	g_assert_false(pg_history_contains(fixture->history, room, g_array_index(ids, guint64, 0)));
}

static void
test_history_expires_by_age(PgTestFixture *fixture, gconstpointer user_data)
{
	gint64 room = pg_test_room(fixture, PG_TEST_ALICE, "#a");
	g_autoptr(GArray) ids = pg_test_fill(fixture, room, 3);
	g_autoptr(GError) error = NULL;

	g_assert_true(pg_history_expire(fixture->history, PG_TEST_TRANSPORT, 3600, &error));
	g_assert_no_error(error);
	g_assert_true(pg_history_contains(fixture->history, room, g_array_index(ids, guint64, 0)));
	g_assert_true(pg_history_expire(fixture->history, PG_TEST_TRANSPORT, 0, &error));
	g_assert_false(pg_history_contains(fixture->history, room, g_array_index(ids, guint64, 2)));
}

static void
test_history_persistent_rooms_survive_a_reopen(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rooms = NULL;
	g_autoptr(GArray) ids = pg_test_fill(fixture, pg_test_room(fixture, PG_TEST_ALICE, "#a"), 3);
	guint64 next;
	PgHistoryPersistent *room;

	g_assert_false(pg_history_is_persistent(fixture->history, PG_TEST_TRANSPORT, PG_TEST_ALICE,
						PG_TEST_SERVER, "#Chan"));
	g_assert_true(pg_history_set_persistent(fixture->history, PG_TEST_TRANSPORT, PG_TEST_ALICE,
						PG_TEST_SERVER, "#Chan", "alice", TRUE, &error));
	g_assert_no_error(error);
	g_clear_pointer(&fixture->history, pg_history_free);
	fixture->history = pg_history_open(fixture->path, &error);
	g_assert_no_error(error);
	g_assert_true(pg_history_is_persistent(fixture->history, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					       PG_TEST_SERVER, "#chan"));
	rooms = pg_history_list_persistent(fixture->history, PG_TEST_TRANSPORT, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(rooms->len, ==, 1);
	room = g_ptr_array_index(rooms, 0);
	g_assert_cmpstr(room->user_jid, ==, PG_TEST_ALICE);
	g_assert_cmpstr(room->name, ==, "#Chan");
	g_assert_cmpstr(room->nick, ==, "alice");
	/* what was appended before the close was written, and ids go on */
	g_assert_true(pg_history_contains(fixture->history,
					  pg_test_room(fixture, PG_TEST_ALICE, "#a"),
					  g_array_index(ids, guint64, 2)));
	next = pg_history_append(fixture->history, pg_test_room(fixture, PG_TEST_ALICE, "#a"), "x",
				 "y");
	g_assert_cmpuint(next, >, g_array_index(ids, guint64, 2));
}

static void
test_history_forgets_a_user(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gint64 alice = pg_test_room(fixture, PG_TEST_ALICE, "#a");
	gint64 bob = pg_test_room(fixture, PG_TEST_BOB, "#a");
	guint64 kept = pg_history_append(fixture->history, bob, "x", "bob's");
	g_autoptr(GArray) ids = pg_test_fill(fixture, alice, 3);

	g_assert_true(pg_history_set_persistent(fixture->history, PG_TEST_TRANSPORT, PG_TEST_ALICE,
						PG_TEST_SERVER, "#a", "alice", TRUE, &error));
	g_assert_true(pg_history_forget_user(fixture->history, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					     &error));
	g_assert_no_error(error);
	g_assert_cmpint(pg_history_find_room(fixture->history, PG_TEST_TRANSPORT, PG_TEST_ALICE,
					     PG_TEST_SERVER, "#a"),
			==, 0);
	g_assert_false(pg_history_is_persistent(fixture->history, PG_TEST_TRANSPORT,
						PG_TEST_ALICE, PG_TEST_SERVER, "#a"));
	g_assert_true(pg_history_contains(fixture->history, bob, kept));
}

static void
test_history_refuses_a_newer_schema(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("test-history-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "h.sqlite", NULL);
	g_autoptr(PgHistory) history = NULL;

	pg_test_sqlite_exec(path, "PRAGMA user_version = 999;");
	history = pg_history_open(path, &error);
	g_assert_null(history);
	g_assert_error(error, PG_ERROR, PG_ERROR_DATABASE);
	pg_test_rm_rf(dir);
}

/* A v1 archive (before room.keep and room.charset) opens, keeps its rooms,
 * and takes the user's own limit and encoding, which survive a reopen. */
static void
test_history_migrates_v1_and_keeps_the_users_limit(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("test-history-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "h.sqlite", NULL);
	gint64 room;

	pg_test_sqlite_exec(path,
			    "CREATE TABLE room (id INTEGER PRIMARY KEY AUTOINCREMENT, transport TEXT "
			    "NOT NULL, user_jid TEXT NOT NULL, server TEXT NOT NULL, folded TEXT NOT "
			    "NULL, name TEXT NOT NULL, persistent INTEGER NOT NULL DEFAULT 0, nick "
			    "TEXT, UNIQUE (transport, user_jid, server, folded));"
			    "CREATE TABLE message (room INTEGER NOT NULL, id INTEGER NOT NULL, nick "
			    "TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (room, id)) WITHOUT ROWID;"
			    "INSERT INTO room (transport, user_jid, server, folded, name) VALUES "
			    "('irc.example.org', 'a@example.org', 'irc.example.net', '#x', '#x');"
			    "PRAGMA user_version = 1;");
	{
		g_autoptr(PgHistory) history = pg_history_open(path, &error);
		g_assert_no_error(error);
		room = pg_history_find_room(history, "irc.example.org", "a@example.org",
					    "irc.example.net", "#x");
		g_assert_cmpint(room, >, 0);
		g_assert_cmpuint(pg_history_get_user_keep(history, room), ==, 0);
		g_assert_true(pg_history_set_user_keep(history, room, 3, &error));
		g_assert_no_error(error);
		g_assert_null(pg_history_get_charset(history, room));
		g_assert_true(pg_history_set_charset(history, room, "ISO-8859-15", &error));
	}
	{
		g_autoptr(PgHistory) history = pg_history_open(path, &error);
		g_assert_no_error(error);
		g_autofree gchar *charset = pg_history_get_charset(history, room);
		g_assert_cmpuint(pg_history_get_user_keep(history, room), ==, 3);
		g_assert_cmpstr(charset, ==, "ISO-8859-15");
		g_assert_true(pg_history_set_user_keep(history, room, 0, &error));
		g_assert_cmpuint(pg_history_get_user_keep(history, room), ==, 0);
	}
	pg_test_rm_rf(dir);
}

/* ---------------------------------------------------------------- config */

static PgHistoryConfig *
pg_test_config(const gchar *text, guint expected_problems)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *data = g_strdup_printf("[t]\n%s\n", text);
	g_autoptr(GError) error = NULL;
	PgHistoryConfig *config;

	g_assert_true(g_key_file_load_from_data(keyfile, data, -1, G_KEY_FILE_NONE, &error));
	config = pg_config_history_parse(keyfile, "t", problems);
	for (guint i = 0; i < problems->len; i++)
		g_test_message("%s", (const gchar *)g_ptr_array_index(problems, i));
	g_assert_cmpuint(problems->len, ==, expected_problems);
	return config;
}

static void
test_history_config_limits(void)
{
	g_autoptr(PgHistoryConfig) config = pg_test_config(
	    "history_max_messages = 100\n"
	    "history_servers = irc.example.net=50; quiet.example.net=0\n"
	    "history_channels = #Big%irc.example.net=500; #fixed=7\n",
	    0);
	g_autoptr(PgHistoryConfig) defaults = pg_test_config("", 0);
	guint keep = 0;

	g_assert_true(defaults->enabled);
	g_assert_cmpuint(defaults->join_default, ==, 20);
	g_assert_true(pg_history_config_keep(config, "other.example.net", "#x", NULL, &keep));
	g_assert_cmpuint(keep, ==, 100);
	g_assert_true(pg_history_config_keep(config, "IRC.example.net", "#x", NULL, &keep));
	g_assert_cmpuint(keep, ==, 50);
	g_assert_true(pg_history_config_keep(config, "irc.example.net", "#big", NULL, &keep));
	g_assert_cmpuint(keep, ==, 500);
	g_assert_false(pg_history_config_keep(config, "quiet.example.net", "#x", NULL, &keep));
	/* #chan alone: on the fixed server only */
	g_assert_true(pg_history_config_keep(config, "fixed.example.net", "#fixed",
					     "fixed.example.net", &keep));
	g_assert_cmpuint(keep, ==, 7);
	g_assert_true(pg_history_config_keep(config, "other.example.net", "#fixed",
					     "fixed.example.net", &keep));
	g_assert_cmpuint(keep, ==, 100);
}

static void
test_history_config_problems(void)
{
	g_autoptr(PgHistoryConfig) off = pg_test_config("history = false", 0);
	g_autoptr(PgHistoryConfig) bad =
	    pg_test_config("history = maybe\nhistory_max_messages = -1\n"
			   "history_servers = irc.example.net\nhistory_channels = nochan=5\n"
			   "history_join_default = 500\nhistory_join_max = 100\n",
			   5);
	guint keep = 0;

	g_assert_false(pg_history_config_keep(off, "irc.example.net", "#x", NULL, &keep));
	g_assert_true(bad->enabled);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define PG_TEST(path, func)                                                                        \
	g_test_add(path, PgTestFixture, NULL, pg_test_setup, func, pg_test_teardown)
	PG_TEST("/history/ids/increase-and-carry-the-time",
		test_history_ids_increase_and_carry_the_time);
	PG_TEST("/history/query/pages-forward-and-backward",
		test_history_pages_forward_and_backward);
	PG_TEST("/history/query/filters-by-nick-and-time", test_history_filters_by_nick_and_time);
	PG_TEST("/history/isolation/users-and-rooms-apart",
		test_history_keeps_users_and_rooms_apart);
	PG_TEST("/history/retention/keeps-at-most-the-limit", test_history_keeps_at_most_the_limit);
	PG_TEST("/history/retention/expires-by-age", test_history_expires_by_age);
	PG_TEST("/history/persistent/survive-a-reopen",
		test_history_persistent_rooms_survive_a_reopen);
	PG_TEST("/history/forget/a-user", test_history_forgets_a_user);
	g_test_add_func("/history/schema/refuses-a-newer-one", test_history_refuses_a_newer_schema);
	g_test_add_func("/history/schema/migrates-v1-and-keeps-the-users-limit",
			test_history_migrates_v1_and_keeps_the_users_limit);
	g_test_add_func("/history/config/limits", test_history_config_limits);
	g_test_add_func("/history/config/problems", test_history_config_problems);
	return g_test_run();
}
