/* Unit tests of src/session/pg-roster.c: what the daemon takes from a
 * worker about a legacy buddy list (issue 9, item 5).  A worker is
 * untrusted: names are bounded and clean, statuses come from a closed
 * list, texts are cut on a character boundary, and a user is shown at most
 * max_contacts_per_user buddies (a link never holds more than
 * PG_ROSTER_BUDDIES_MAX). */
#define G_LOG_DOMAIN "test-roster"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "core/pg-error.h"
#include "registry/pg-account.h"
#include "registry/pg-registry.h"
#include "registry/pg-vault.h"
#include "session/pg-limits.h"
#include "session/pg-link.h"
#include "session/pg-roster-ladder.h"
#include "session/pg-session-manager.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

#include "pg-test-purple.h"

#define PG_TEST_BOB    "bob\\40legacy.example.net@" PG_TEST_PURPLE

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

/* The full session: events as the worker sends them, stanzas as the
 * transport sends them, on a link that never logs in (no worker). */

static void
pg_test_deliver(PgTestFixture *fixture, PgIpcMessage *msg)
{
	g_autoptr(PgIpcMessage) owned = msg;

	g_assert_true(pg_ipc_message_validate(owned, NULL));
	pg_supervisor_deliver_event(fixture->manager->supervisor, owned);
}

static void
pg_test_buddy(PgTestFixture *fixture, const gchar *who, const gchar *alias)
{
	pg_test_deliver(fixture,
			pg_ipc_message_new(PG_IPC_EVT_BUDDY, 0, "account",
					   g_variant_new_string(fixture->link->account), "who",
					   g_variant_new_string(who), "alias",
					   alias != NULL ? g_variant_new_string(alias) : NULL,
					   NULL));
}

static void
pg_test_presence(PgTestFixture *fixture, const gchar *who, const gchar *status,
		 const gchar *message)
{
	pg_test_deliver(fixture,
			pg_ipc_message_new(PG_IPC_EVT_BUDDY_PRESENCE, 0, "account",
					   g_variant_new_string(fixture->link->account), "who",
					   g_variant_new_string(who), "status",
					   g_variant_new_string(status), "message",
					   message != NULL ? g_variant_new_string(message) : NULL,
					   NULL));
}

/* How many presences of @type (NULL: available) went from @from to the user. */
static guint
pg_test_count(PgTestFixture *fixture, const gchar *from, const gchar *type)
{
	guint n = 0;

	for (guint i = 0; i < fixture->sent->len; i++) {
		xmpp_stanza_t *stanza = g_ptr_array_index(fixture->sent, i);
		if (g_strcmp0(xmpp_stanza_get_name(stanza), "presence") == 0 &&
		    (from == NULL || g_strcmp0(xmpp_stanza_get_from(stanza), from) == 0) &&
		    g_strcmp0(xmpp_stanza_get_to(stanza), PG_TEST_USER) == 0 &&
		    g_strcmp0(xmpp_stanza_get_type(stanza), type) == 0)
			n++;
	}
	return n;
}

static xmpp_stanza_t *
pg_test_last(PgTestFixture *fixture)
{
	g_assert_cmpuint(fixture->sent->len, >, 0);
	return g_ptr_array_index(fixture->sent, fixture->sent->len - 1);
}

static void
test_roster_buddy_asks_once_with_its_nickname(PgTestFixture *fixture, gconstpointer user_data)
{
	xmpp_stanza_t *request;
	xmpp_stanza_t *nick;
	g_autofree gchar *text = NULL;

	pg_test_buddy(fixture, "bob@legacy.example.net", "Bob <3");
	/* offered once the list settled (pg-roster-ladder.c) */
	g_assert_cmpuint(fixture->sent->len, ==, 0);
	pg_roster_ladder_sync(fixture->link);
	g_assert_cmpuint(pg_test_count(fixture, PG_TEST_BOB, "subscribe"), ==, 1);
	request = pg_test_last(fixture);
	nick = xmpp_stanza_get_child_by_name_and_ns(request, "nick",
						    "http://jabber.org/protocol/nick");
	g_assert_nonnull(nick);
	text = xmpp_stanza_get_text(nick);
	g_assert_cmpstr(text, ==, "Bob <3");
	/* the same buddy at the next sign-on asks nothing more */
	pg_test_buddy(fixture, "bob@legacy.example.net", "Bob <3");
	g_assert_cmpuint(fixture->sent->len, ==, 1);
}

static void
test_roster_hostile_buddies_reach_no_one(PgTestFixture *fixture, gconstpointer user_data)
{
	/* 400 '@' are 400 bytes, but 1200 escaped (XEP-0106 "\\40") plus the
	 * domain: longer than a JID local part may be (RFC 7622 §3.3) */
	g_autofree gchar *ats = g_strnfill(400, '@');

	g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING, "*buddy event refused*control*");
	pg_test_buddy(fixture, "bob\x07", "Bob");
	g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING, "*buddy whose JID is not valid*");
	pg_test_buddy(fixture, ats, NULL);
	g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING,
			      "*buddy-presence event refused*control*");
	pg_test_presence(fixture, "bob\x01", "away", NULL);
	g_test_assert_expected_messages();
	g_assert_cmpuint(fixture->sent->len, ==, 0);
	/* no table at all, or an empty one: nothing was kept */
	g_assert_true(fixture->link->buddies == NULL || g_hash_table_size(fixture->link->buddies) == 0);
}

static void
test_roster_presence_is_kept_for_probes_and_ends_with_the_link(PgTestFixture *fixture,
							       gconstpointer user_data)
{
	g_autofree gchar *long_status = g_strnfill(PG_ROSTER_STATUS_TEXT_MAX + 100, 'z');
	g_autofree gchar *status = NULL;
	xmpp_stanza_t *presence;

	pg_test_buddy(fixture, "bob@legacy.example.net", NULL);
	pg_test_presence(fixture, "bob@legacy.example.net", "away", long_status);
	presence = pg_test_last(fixture);
	g_assert_cmpstr(xmpp_stanza_get_from(presence), ==, PG_TEST_BOB);
	g_assert_null(xmpp_stanza_get_type(presence));
	status = pg_stanza_get_child_text(presence, "status");
	g_assert_cmpuint(strlen(status), ==, PG_ROSTER_STATUS_TEXT_MAX);
	g_clear_pointer(&status, g_free);

	/* RFC 6121 §4.3: a probe gets the last presence */
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_receive(fixture,
			"<presence type='probe' from='" PG_TEST_USER "' to='" PG_TEST_BOB "'/>");
	g_assert_cmpuint(pg_test_count(fixture, PG_TEST_BOB, NULL), ==, 1);
	status = pg_stanza_get_child_text(pg_test_last(fixture), "show");
	g_assert_cmpstr(status, ==, "away");

	/* the legacy connection goes: the buddy goes offline with it */
	pg_link_on_disconnected(fixture->link, "connection lost", TRUE);
	g_assert_cmpuint(pg_test_count(fixture, PG_TEST_BOB, "unavailable"), ==, 1);
	g_assert_cmpuint(g_hash_table_size(fixture->link->online), ==, 0);
}

static gboolean
pg_test_pending_has(PgTestFixture *fixture, PgIpcKind kind, const gchar *who)
{
	for (GList *l = fixture->link->pending->head; l != NULL; l = l->next) {
		const PgIpcMessage *msg = l->data;
		if (msg->kind == kind && g_strcmp0(pg_ipc_message_get_string(msg, "who"), who) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
test_roster_user_subscribe_adds_a_buddy(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_receive(fixture, "<presence type='subscribe' from='" PG_TEST_USER
				 "' to='carol\\40legacy.example.net@" PG_TEST_PURPLE "'/>");
	/* approved at once, and the add waits for the login */
	g_assert_cmpuint(pg_test_count(fixture, NULL, "subscribed"), ==, 1);
	g_assert_true(
	    pg_test_pending_has(fixture, PG_IPC_CMD_ADD_BUDDY, "carol@legacy.example.net"));
	/* XEP-0172 §4.2: the nickname in the request names the new buddy */
	pg_test_receive(fixture,
			"<presence type='subscribe' from='" PG_TEST_USER
			"' to='dave\\40legacy.example.net@" PG_TEST_PURPLE "'>"
			"<nick xmlns='http://jabber.org/protocol/nick'> Dave </nick></presence>");
	{
		const PgIpcMessage *add = g_queue_peek_tail(fixture->link->pending);
		g_assert_cmpint(add->kind, ==, PG_IPC_CMD_ADD_BUDDY);
		g_assert_cmpstr(pg_ipc_message_get_string(add, "who"), ==,
				"dave@legacy.example.net");
		g_assert_cmpstr(pg_ipc_message_get_string(add, "alias"), ==, "Dave");
	}
	/* a known buddy is not added again; declining its request keeps it */
	pg_test_buddy(fixture, "bob@legacy.example.net", NULL);
	pg_test_receive(fixture, "<presence type='subscribe' from='" PG_TEST_USER
				 "' to='" PG_TEST_BOB "'/>");
	pg_test_receive(fixture, "<presence type='unsubscribed' from='" PG_TEST_USER
				 "' to='" PG_TEST_BOB "'/>");
	g_assert_false(
	    pg_test_pending_has(fixture, PG_IPC_CMD_ADD_BUDDY, "bob@legacy.example.net"));
	g_assert_false(
	    pg_test_pending_has(fixture, PG_IPC_CMD_REMOVE_BUDDY, "bob@legacy.example.net"));
}

static void
test_roster_cap_tells_the_user_once(PgTestFixture *fixture, gconstpointer user_data)
{
	guint notices = 0;

	/* max_contacts_per_user's default (pg-limits.h) */
	const guint max = 5000;

	g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING,
			      "*more than 5000 contacts*max_contacts_per_user = 5000*");
	for (guint i = 0; i < max + 10; i++) {
		g_autofree gchar *who = g_strdup_printf("buddy%u", i);
		pg_test_buddy(fixture, who, NULL);
	}
	g_test_assert_expected_messages();
	pg_roster_ladder_sync(fixture->link);
	g_assert_cmpuint(g_hash_table_size(fixture->link->buddies), ==, max);
	g_assert_cmpuint(pg_test_count(fixture, NULL, "subscribe"), ==, max);
	/* each one left out is counted (/metrics) */
	g_assert_cmpuint(pg_limits_get_rejections(fixture->manager->limits,
						  pg_transport_get_config(fixture->purple),
						  PG_LIMIT_CONTACTS),
			 ==, 10);
	for (guint i = 0; i < fixture->sent->len; i++)
		if (g_strcmp0(xmpp_stanza_get_name(g_ptr_array_index(fixture->sent, i)),
			      "message") == 0)
			notices++;
	g_assert_cmpuint(notices, ==, 1);
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
#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func, pg_test_fixture_teardown)
	PG_TEST_ADD("/roster/session/buddy-asks-once-with-its-nickname",
		    test_roster_buddy_asks_once_with_its_nickname);
	PG_TEST_ADD("/roster/session/hostile-buddies-reach-no-one",
		    test_roster_hostile_buddies_reach_no_one);
	PG_TEST_ADD("/roster/session/presence-is-kept-for-probes-and-ends-with-the-link",
		    test_roster_presence_is_kept_for_probes_and_ends_with_the_link);
	PG_TEST_ADD("/roster/session/user-subscribe-adds-a-buddy",
		    test_roster_user_subscribe_adds_a_buddy);
	PG_TEST_ADD("/roster/session/cap-tells-the-user-once", test_roster_cap_tells_the_user_once);
	return g_test_run();
}
