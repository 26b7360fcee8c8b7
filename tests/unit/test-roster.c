/* Unit tests of src/session/pg-roster.c: what the daemon takes from a
 * worker about a legacy buddy list (issue 9, item 5).  A worker is
 * untrusted: names are bounded and clean, statuses come from a closed
 * list, texts are cut on a character boundary, and a link holds at most
 * PG_ROSTER_BUDDIES_MAX buddies. */
#define G_LOG_DOMAIN "test-roster"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-roster.h"

typedef struct {
	const gchar *name;
	PgIpcKind kind;
	const gchar *who;    /* NULL: a name of PG_ROSTER_WHO_MAX + 1 bytes */
	const gchar *status; /* buddy-presence only */
	gboolean ok;
} PgRosterCase;

static const PgRosterCase pg_roster_cases[] = {
    {.name = "buddy", .kind = PG_IPC_EVT_BUDDY, .who = "bob@legacy.example", .ok = TRUE},
    {.name = "buddy-removed", .kind = PG_IPC_EVT_BUDDY_REMOVED, .who = "bob", .ok = TRUE},
    {.name = "presence-away",
     .kind = PG_IPC_EVT_BUDDY_PRESENCE,
     .who = "bob",
     .status = "away",
     .ok = TRUE},
    {.name = "presence-offline",
     .kind = PG_IPC_EVT_BUDDY_PRESENCE,
     .who = "bob",
     .status = "offline",
     .ok = TRUE},
    {.name = "non-ascii-name", .kind = PG_IPC_EVT_BUDDY, .who = "zoë@例え.jp", .ok = TRUE},
    {.name = "empty-name", .kind = PG_IPC_EVT_BUDDY, .who = "", .ok = FALSE},
    {.name = "long-name", .kind = PG_IPC_EVT_BUDDY, .who = NULL, .ok = FALSE},
    {.name = "control-in-name", .kind = PG_IPC_EVT_BUDDY, .who = "bo\x1b[31mb", .ok = FALSE},
    {.name = "newline-in-removed", .kind = PG_IPC_EVT_BUDDY_REMOVED, .who = "a\nb", .ok = FALSE},
    {.name = "unknown-status",
     .kind = PG_IPC_EVT_BUDDY_PRESENCE,
     .who = "bob",
     .status = "chatty",
     .ok = FALSE},
    {.name = "status-with-case",
     .kind = PG_IPC_EVT_BUDDY_PRESENCE,
     .who = "bob",
     .status = "Away",
     .ok = FALSE},
};

static void
test_roster_check_event(gconstpointer data)
{
	const PgRosterCase *c = data;
	g_autofree gchar *long_name = g_strnfill(PG_ROSTER_WHO_MAX + 1, 'a');
	g_autoptr(PgIpcMessage) msg = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	msg =
	    pg_ipc_message_new(c->kind, 0, "account", g_variant_new_string("a@b/x"), "who",
			       g_variant_new_string(c->who != NULL ? c->who : long_name), "status",
			       c->status != NULL ? g_variant_new_string(c->status) : NULL, NULL);
	ok = pg_roster_check_event(msg, &error);
	g_assert_cmpint(ok, ==, c->ok);
	if (c->ok)
		g_assert_no_error(error);
	else
		g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
}

static void
test_roster_name_at_the_bound_is_taken(void)
{
	g_autofree gchar *name = g_strnfill(PG_ROSTER_WHO_MAX, 'a');
	g_autoptr(PgIpcMessage) msg =
	    pg_ipc_message_new(PG_IPC_EVT_BUDDY, 0, "account", g_variant_new_string("a@b/x"), "who",
			       g_variant_new_string(name), NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(pg_roster_check_event(msg, &error));
	g_assert_no_error(error);
}

static void
test_roster_bound_text_cuts_on_a_character(void)
{
	/* "é" is two bytes: a cut at 3 would split the second one */
	g_autofree gchar *cut = pg_roster_bound_text("éé", 3);
	g_autofree gchar *whole = pg_roster_bound_text("éé", 4);
	g_autofree gchar *none = pg_roster_bound_text(NULL, 4);

	g_assert_cmpstr(cut, ==, "é");
	g_assert_true(g_utf8_validate(cut, -1, NULL));
	g_assert_cmpstr(whole, ==, "éé");
	g_assert_null(none);
}

static void
test_roster_table_reports_changes_and_bounds_texts(void)
{
	g_autoptr(GHashTable) buddies = pg_roster_table_new();
	g_autofree gchar *long_alias = g_strnfill(PG_ROSTER_ALIAS_MAX + 50, 'n');
	g_autoptr(GError) error = NULL;
	PgRosterChange change;
	PgRosterBuddy *buddy;

	g_assert_true(pg_roster_table_put(buddies, "bob", "Bob", "Friends", &change, &error));
	g_assert_cmpint(change, ==, PG_ROSTER_NEW);
	g_assert_true(pg_roster_table_put(buddies, "bob", "Bob", "Friends", &change, &error));
	g_assert_cmpint(change, ==, PG_ROSTER_SAME);
	g_assert_true(pg_roster_table_put(buddies, "bob", long_alias, NULL, &change, &error));
	g_assert_cmpint(change, ==, PG_ROSTER_CHANGED);
	g_assert_no_error(error);
	buddy = g_hash_table_lookup(buddies, "bob");
	g_assert_cmpuint(strlen(buddy->alias), ==, PG_ROSTER_ALIAS_MAX);
	g_assert_null(buddy->group);
	g_assert_cmpstr(buddy->status, ==, "offline");
}

static void
test_roster_table_stops_at_the_cap(void)
{
	g_autoptr(GHashTable) buddies = pg_roster_table_new();
	g_autoptr(GError) error = NULL;
	PgRosterChange change;

	for (guint i = 0; i < PG_ROSTER_BUDDIES_MAX; i++) {
		g_autofree gchar *who = g_strdup_printf("buddy%u", i);
		g_assert_true(pg_roster_table_put(buddies, who, NULL, NULL, &change, &error));
	}
	g_assert_false(pg_roster_table_put(buddies, "one-too-many", NULL, NULL, &change, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT);
	g_assert_cmpuint(g_hash_table_size(buddies), ==, PG_ROSTER_BUDDIES_MAX);
	g_clear_error(&error);
	/* a known buddy still changes at the cap */
	g_assert_true(pg_roster_table_put(buddies, "buddy7", "Seven", NULL, &change, &error));
	g_assert_cmpint(change, ==, PG_ROSTER_CHANGED);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_roster_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/roster/check-event/%s", pg_roster_cases[i].name);
		g_test_add_data_func(path, &pg_roster_cases[i], test_roster_check_event);
	}
	g_test_add_func("/roster/check-event/name-at-the-bound-is-taken",
			test_roster_name_at_the_bound_is_taken);
	g_test_add_func("/roster/bound-text/cuts-on-a-character",
			test_roster_bound_text_cuts_on_a_character);
	g_test_add_func("/roster/table/reports-changes-and-bounds-texts",
			test_roster_table_reports_changes_and_bounds_texts);
	g_test_add_func("/roster/table/stops-at-the-cap", test_roster_table_stops_at_the_cap);
	return g_test_run();
}
