/* Unit tests of src/session/pg-roster-ladder.c and src/xmpp/pg-privilege.c:
 * the roster ladder (issue 9, item 5).  The builders make the stanzas
 * RFC 6121 and XEP-0144 ask for; a grant is taken from the server only;
 * a privileged sync adds what is missing and removes only this transport's
 * stale contacts; a refused push drops the rung; a XEP-0144 client gets
 * suggestions; the user's command says which rung is used. */
#define G_LOG_DOMAIN "test-roster-ladder"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-link.h"
#include "session/pg-roster-ladder.h"
#include "session/pg-session-manager.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

#include "pg-test-purple.h"

#define PG_TEST_BOB  "bob\\40legacy.example.net@" PG_TEST_PURPLE
#define PG_TEST_ZED  "zed\\40legacy.example.net@" PG_TEST_PURPLE
#define PG_TEST_GRANT                                                                              \
	"<message from='example.org' to='" PG_TEST_PURPLE "'>"                                     \
	"<privilege xmlns='urn:xmpp:privilege:2'><perm access='roster' type='both'/>"             \
	"<perm access='message' type='outgoing'/></privilege></message>"

/* ---------------------------------------------------------------- builders */

static xmpp_ctx_t *ctx; /* for the builders' tests, made in main() */

static void
test_ladder_push_carries_name_group_and_both(void)
{
	PgRosterBuddy buddy = {.alias = "Bob", .group = "Friends", .status = "away"};
	g_autoptr(xmpp_stanza_t) iq = pg_roster_push_new(ctx, PG_TEST_USER, PG_TEST_BOB, &buddy);
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, PG_NS_ROSTER);
	xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(query, "item");
	g_autofree gchar *group = NULL;
	guint n_items = 0;

	g_assert_cmpstr(xmpp_stanza_get_type(iq), ==, "set");
	g_assert_cmpstr(xmpp_stanza_get_to(iq), ==, PG_TEST_USER);
	/* RFC 6121 §2.1.5: a roster set holds exactly one item */
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(query); c != NULL; c = xmpp_stanza_get_next(c))
		n_items++;
	g_assert_cmpuint(n_items, ==, 1);
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "jid"), ==, PG_TEST_BOB);
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "name"), ==, "Bob");
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "subscription"), ==, "both");
	group = pg_stanza_get_child_text(item, "group");
	g_assert_cmpstr(group, ==, "Friends");
}

static void
test_ladder_push_removes_and_skips_empty_texts(void)
{
	PgRosterBuddy bare = {.alias = "", .group = "", .status = "offline"};
	g_autoptr(xmpp_stanza_t) removal = pg_roster_push_new(ctx, PG_TEST_USER, PG_TEST_BOB, NULL);
	g_autoptr(xmpp_stanza_t) plain = pg_roster_push_new(ctx, PG_TEST_USER, PG_TEST_BOB, &bare);
	xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(
	    xmpp_stanza_get_child_by_ns(removal, PG_NS_ROSTER), "item");

	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "subscription"), ==, "remove");
	g_assert_null(xmpp_stanza_get_attribute(item, "name"));
	item = xmpp_stanza_get_child_by_name(xmpp_stanza_get_child_by_ns(plain, PG_NS_ROSTER),
					     "item");
	/* RFC 6121 §2.1.2.2: no empty <group/>; no empty name either */
	g_assert_null(xmpp_stanza_get_child_by_name(item, "group"));
	g_assert_null(xmpp_stanza_get_attribute(item, "name"));
}

static void
test_ladder_exchange_lists_items_with_actions(void)
{
	PgRosterBuddy buddy = {.alias = "Bob <3", .group = "Friends", .status = "away"};
	g_autoptr(xmpp_stanza_t) message = pg_roster_exchange_new(ctx, PG_TEST_USER "/phone");
	xmpp_stanza_t *x;
	xmpp_stanza_t *item;
	g_autofree gchar *group = NULL;

	pg_roster_exchange_add(message, "add", PG_TEST_BOB, &buddy);
	pg_roster_exchange_add(message, "delete", PG_TEST_ZED, NULL);
	g_assert_cmpstr(xmpp_stanza_get_to(message), ==, PG_TEST_USER "/phone");
	x = xmpp_stanza_get_child_by_name_and_ns(message, "x", PG_NS_ROSTERX);
	g_assert_nonnull(x);
	item = xmpp_stanza_get_children(x);
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "action"), ==, "add");
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "jid"), ==, PG_TEST_BOB);
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "name"), ==, "Bob <3");
	group = pg_stanza_get_child_text(item, "group");
	g_assert_cmpstr(group, ==, "Friends");
	item = xmpp_stanza_get_next(item);
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "action"), ==, "delete");
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "jid"), ==, PG_TEST_ZED);
	g_assert_null(xmpp_stanza_get_next(item));
}

/* ------------------------------------------------------------- sessions */

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

static PgSession *
pg_test_session(PgTestFixture *fixture)
{
	return fixture->link->session;
}

static void
pg_test_buddy(PgTestFixture *fixture, const gchar *who, const gchar *alias, const gchar *group)
{
	g_autoptr(PgIpcMessage) msg = pg_ipc_message_new(
	    PG_IPC_EVT_BUDDY, 0, "account", g_variant_new_string(fixture->link->account), "who",
	    g_variant_new_string(who), "alias", alias != NULL ? g_variant_new_string(alias) : NULL,
	    "group", group != NULL ? g_variant_new_string(group) : NULL, NULL);

	g_assert_true(pg_ipc_message_validate(msg, NULL));
	pg_supervisor_deliver_event(fixture->manager->supervisor, msg);
}

/* The @n-th (from 0) sent stanza named @name whose child has namespace
 * @ns (NULL: any), or NULL. */
static xmpp_stanza_t *
pg_test_find(PgTestFixture *fixture, const gchar *name, const gchar *ns, guint n)
{
	for (guint i = 0; i < fixture->sent->len; i++) {
		xmpp_stanza_t *stanza = g_ptr_array_index(fixture->sent, i);
		if (g_strcmp0(xmpp_stanza_get_name(stanza), name) != 0)
			continue;
		if (ns != NULL && xmpp_stanza_get_child_by_ns(stanza, ns) == NULL)
			continue;
		if (n-- == 0)
			return stanza;
	}
	return NULL;
}

static guint
pg_test_count(PgTestFixture *fixture, const gchar *name, const gchar *ns)
{
	guint n = 0;

	while (pg_test_find(fixture, name, ns, n) != NULL)
		n++;
	return n;
}

/* The item of the sent roster set @n (gets skipped), or NULL. */
static xmpp_stanza_t *
pg_test_pushed_item(PgTestFixture *fixture, guint n)
{
	xmpp_stanza_t *iq;

	for (guint i = 0; (iq = pg_test_find(fixture, "iq", PG_NS_ROSTER, i)) != NULL; i++) {
		if (g_strcmp0(xmpp_stanza_get_type(iq), "set") == 0 && n-- == 0)
			return xmpp_stanza_get_child_by_name(
			    xmpp_stanza_get_child_by_ns(iq, PG_NS_ROSTER), "item");
	}
	return NULL;
}

/* Answer the IQ @request from its 'to' with @payload (NULL: empty result). */
static void
pg_test_answer(PgTestFixture *fixture, xmpp_stanza_t *request, const gchar *type,
	       const gchar *payload)
{
	g_autofree gchar *xml =
	    g_strdup_printf("<iq type='%s' id='%s' from='%s' to='" PG_TEST_PURPLE "'>%s</iq>", type,
			    xmpp_stanza_get_id(request), xmpp_stanza_get_to(request),
			    payload != NULL ? payload : "");
	pg_test_receive(fixture, xml);
}

static void
test_ladder_grant_only_from_the_server(PgTestFixture *fixture, gconstpointer user_data)
{
	xmpp_stanza_t *error;

	/* a user's forgery: refused with forbidden, nothing granted */
	pg_test_receive(fixture, "<message from='mallory@example.org/x' to='" PG_TEST_PURPLE "'>"
				 "<privilege xmlns='urn:xmpp:privilege:2'>"
				 "<perm access='roster' type='both'/></privilege></message>");
	/* another server's domain, and the old namespace: the same */
	pg_test_receive(fixture, "<message from='evil.example' to='" PG_TEST_PURPLE "'>"
				 "<privilege xmlns='urn:xmpp:privilege:1'>"
				 "<perm access='roster' type='both'/></privilege></message>");
	g_assert_cmpuint(pg_transport_roster_access(fixture->purple, "example.org"), ==, 0);
	g_assert_cmpuint(pg_transport_roster_access(fixture->purple, "evil.example"), ==, 0);
	g_assert_cmpint(pg_roster_ladder_mode(pg_test_session(fixture)), ==,
			PG_ROSTER_MODE_SUBSCRIBE);
	/* the user is told; the other host's advertisement is only ignored */
	g_assert_cmpuint(pg_test_count(fixture, "message", NULL), ==, 1);
	error = pg_test_find(fixture, "message", NULL, 0);
	g_assert_cmpstr(xmpp_stanza_get_type(error), ==, "error");
	g_assert_cmpstr(xmpp_stanza_get_to(error), ==, "mallory@example.org/x");
	g_assert_nonnull(xmpp_stanza_get_child_by_name(xmpp_stanza_get_child_by_name(error, "error"),
						       "forbidden"));

	/* the server itself: granted, in either namespace */
	pg_test_receive(fixture, PG_TEST_GRANT);
	g_assert_cmpuint(pg_transport_roster_access(fixture->purple, "example.org"), ==,
			 PG_TRANSPORT_ROSTER_GET | PG_TRANSPORT_ROSTER_SET);
	g_assert_cmpint(pg_roster_ladder_mode(pg_test_session(fixture)), ==,
			PG_ROSTER_MODE_PRIVILEGED);
	pg_test_receive(fixture, "<message from='example.org' to='" PG_TEST_PURPLE "'>"
				 "<privilege xmlns='urn:xmpp:privilege:1'>"
				 "<perm access='roster' type='get'/></privilege></message>");
	g_assert_cmpuint(pg_transport_roster_access(fixture->purple, "example.org"), ==,
			 PG_TRANSPORT_ROSTER_GET);
	/* read access alone is not enough to push */
	g_assert_cmpint(pg_roster_ladder_mode(pg_test_session(fixture)), ==,
			PG_ROSTER_MODE_SUBSCRIBE);
}

static void
test_ladder_privileged_sync_adds_missing_and_removes_stale(PgTestFixture *fixture,
							   gconstpointer user_data)
{
	xmpp_stanza_t *get;
	xmpp_stanza_t *item;
	g_autofree gchar *roster = NULL;
	guint sets = 0;

	pg_test_receive(fixture, PG_TEST_GRANT);
	pg_test_buddy(fixture, "bob@legacy.example.net", "Bob", "Friends");
	pg_test_buddy(fixture, "Kim@legacy.example.net", "Kim", NULL);
	/* nothing goes before the list settled */
	g_assert_cmpuint(fixture->sent->len, ==, 0);
	g_assert_cmpuint(fixture->link->roster_sync_id, !=, 0);
	pg_roster_ladder_sync(fixture->link);
	g_assert_cmpuint(fixture->link->roster_sync_id, ==, 0);

	/* XEP-0356 §4.3: the roster is read first, from the user's bare JID */
	get = pg_test_find(fixture, "iq", PG_NS_ROSTER, 0);
	g_assert_nonnull(get);
	g_assert_cmpstr(xmpp_stanza_get_type(get), ==, "get");
	g_assert_cmpstr(xmpp_stanza_get_to(get), ==, PG_TEST_USER);
	/* an answer from anyone else is not the server's */
	{
		g_autofree gchar *forged = g_strdup_printf(
		    "<iq type='result' id='%s' from='" PG_TEST_USER "/phone' to='" PG_TEST_PURPLE
		    "'><query xmlns='jabber:iq:roster'/></iq>",
		    xmpp_stanza_get_id(get));
		pg_test_receive(fixture, forged);
		g_assert_cmpuint(pg_test_count(fixture, "iq", PG_NS_ROSTER), ==, 1);
	}
	/* kim is there, case-mapped by the server; zed is stale; a contact
	 * of another domain and the transport itself are not ours to touch */
	roster = g_strdup_printf(
	    "<query xmlns='jabber:iq:roster'>"
	    "<item jid='kim\\40legacy.example.net@" PG_TEST_PURPLE "' subscription='both' "
	    "name='My Kim'/>"
	    "<item jid='" PG_TEST_ZED "' subscription='both'/>"
	    "<item jid='friend@example.org' subscription='both'/>"
	    "<item jid='" PG_TEST_PURPLE "' subscription='both'/>"
	    "</query>");
	pg_test_answer(fixture, get, "result", roster);
	for (guint i = 0; (item = pg_test_pushed_item(fixture, i)) != NULL; i++) {
		sets++;
		if (g_strcmp0(xmpp_stanza_get_attribute(item, "jid"), PG_TEST_BOB) == 0) {
			g_autofree gchar *group = pg_stanza_get_child_text(item, "group");
			g_assert_cmpstr(xmpp_stanza_get_attribute(item, "subscription"), ==, "both");
			g_assert_cmpstr(xmpp_stanza_get_attribute(item, "name"), ==, "Bob");
			g_assert_cmpstr(group, ==, "Friends");
		} else {
			g_assert_cmpstr(xmpp_stanza_get_attribute(item, "jid"), ==, PG_TEST_ZED);
			g_assert_cmpstr(xmpp_stanza_get_attribute(item, "subscription"), ==,
					"remove");
		}
	}
	/* bob added, zed removed; kim (renamed by the user) left alone */
	g_assert_cmpuint(sets, ==, 2);
	g_assert_cmpint(pg_roster_ladder_mode(pg_test_session(fixture)), ==,
			PG_ROSTER_MODE_PRIVILEGED);
}

static void
test_ladder_privileged_sign_on_after_a_drop_resyncs(PgTestFixture *fixture,
						    gconstpointer user_data)
{
	xmpp_stanza_t *get;
	xmpp_stanza_t *item;
	guint before;

	pg_test_receive(fixture, PG_TEST_GRANT);
	pg_test_buddy(fixture, "bob@legacy.example.net", "Bob", NULL);
	pg_test_buddy(fixture, "zed@legacy.example.net", "Zed", NULL);
	pg_roster_ladder_sync(fixture->link);
	get = pg_test_find(fixture, "iq", PG_NS_ROSTER, 0);
	pg_test_answer(fixture, get, "result", "<query xmlns='jabber:iq:roster'/>");
	g_assert_nonnull(pg_test_pushed_item(fixture, 1));

	/* the legacy connection drops; zed leaves the legacy list meanwhile,
	 * so the next sign-on names bob only */
	pg_link_on_disconnected(fixture->link, "connection lost", FALSE);
	pg_link_on_connected(fixture->link);
	g_assert_false(fixture->link->roster_synced);
	g_assert_cmpuint(fixture->link->roster_sync_id, !=, 0);
	pg_test_buddy(fixture, "bob@legacy.example.net", "Bob", NULL);
	g_ptr_array_set_size(fixture->sent, 0);
	pg_roster_ladder_sync(fixture->link);
	get = pg_test_find(fixture, "iq", PG_NS_ROSTER, 0);
	g_assert_cmpstr(xmpp_stanza_get_type(get), ==, "get");
	before = fixture->sent->len;
	pg_test_answer(fixture, get, "result",
		       "<query xmlns='jabber:iq:roster'>"
		       "<item jid='" PG_TEST_BOB "' subscription='both'/>"
		       "<item jid='" PG_TEST_ZED "' subscription='both'/></query>");
	/* one push: zed's removal */
	g_assert_cmpuint(fixture->sent->len, ==, before + 1);
	item = pg_test_pushed_item(fixture, 0);
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "jid"), ==, PG_TEST_ZED);
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "subscription"), ==, "remove");
}

static void
test_ladder_privileged_keeps_the_group_of_a_contact_the_user_added(PgTestFixture *fixture,
								  gconstpointer user_data)
{
	xmpp_stanza_t *get;
	xmpp_stanza_t *item;
	g_autofree gchar *group = NULL;

	pg_test_receive(fixture, PG_TEST_GRANT);
	pg_roster_ladder_sync(fixture->link);
	get = pg_test_find(fixture, "iq", PG_NS_ROSTER, 0);
	pg_test_answer(fixture, get, "result", "<query xmlns='jabber:iq:roster'/>");
	g_ptr_array_set_size(fixture->sent, 0);

	/* the user adds bob in the group Work; the worker names him in its
	 * default group: no blind write over the user's choice */
	pg_test_buddy(fixture, "bob@legacy.example.net", "Bob", "Buddies");
	g_assert_cmpuint(pg_test_count(fixture, "iq", PG_NS_ROSTER), ==, 0);
	g_assert_cmpuint(fixture->link->roster_sync_id, !=, 0);
	pg_roster_ladder_sync(fixture->link);
	get = pg_test_find(fixture, "iq", PG_NS_ROSTER, 0);
	g_assert_cmpstr(xmpp_stanza_get_type(get), ==, "get");
	pg_test_answer(fixture, get, "result",
		       "<query xmlns='jabber:iq:roster'><item jid='" PG_TEST_BOB
		       "' subscription='to' ask='subscribe' name='Bobby'><group>Work</group></item>"
		       "</query>");
	item = pg_test_pushed_item(fixture, 0);
	g_assert_nonnull(item);
	g_assert_null(pg_test_pushed_item(fixture, 1));
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "subscription"), ==, "both");
	g_assert_null(xmpp_stanza_get_attribute(item, "ask"));
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "name"), ==, "Bobby");
	group = pg_stanza_get_child_text(item, "group");
	g_assert_cmpstr(group, ==, "Work");
}

static void
test_ladder_refused_push_drops_a_rung(PgTestFixture *fixture, gconstpointer user_data)
{
	xmpp_stanza_t *get;
	xmpp_stanza_t *set;
	xmpp_stanza_t *subscribe;

	pg_test_receive(fixture, PG_TEST_GRANT);
	pg_test_buddy(fixture, "bob@legacy.example.net", "Bob", NULL);
	pg_roster_ladder_sync(fixture->link);
	get = pg_test_find(fixture, "iq", PG_NS_ROSTER, 0);
	pg_test_answer(fixture, get, "result", "<query xmlns='jabber:iq:roster'/>");
	set = pg_test_find(fixture, "iq", PG_NS_ROSTER, 1);
	g_assert_nonnull(set);
	/* ejabberd 23.01 answers every privileged roster set so */
	g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING,
			      "*refused a privileged roster push (internal-server-error)*");
	pg_test_answer(fixture, set, "error",
		       "<error type='wait'><internal-server-error "
		       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
	g_test_assert_expected_messages();
	g_assert_cmpint(pg_roster_ladder_mode(pg_test_session(fixture)), ==,
			PG_ROSTER_MODE_SUBSCRIBE);
	/* the list is offered again on the next rung */
	subscribe = pg_test_find(fixture, "presence", NULL, 0);
	g_assert_nonnull(subscribe);
	g_assert_cmpstr(xmpp_stanza_get_type(subscribe), ==, "subscribe");
	g_assert_cmpstr(xmpp_stanza_get_from(subscribe), ==, PG_TEST_BOB);
}

static void
test_ladder_rosterx_client_gets_suggestions(PgTestFixture *fixture, gconstpointer user_data)
{
	xmpp_stanza_t *disco;
	xmpp_stanza_t *exchange;
	xmpp_stanza_t *item;

	/* a second client comes online: asked what it takes */
	pg_test_receive(fixture, "<presence from='" PG_TEST_USER "/laptop' to='" PG_TEST_PURPLE "'/>");
	disco = pg_test_find(fixture, "iq", PG_NS_DISCO_INFO, 0);
	g_assert_nonnull(disco);
	g_assert_cmpstr(xmpp_stanza_get_to(disco), ==, PG_TEST_USER "/laptop");
	pg_test_answer(fixture, disco, "result",
		       "<query xmlns='http://jabber.org/protocol/disco#info'>"
		       "<feature var='http://jabber.org/protocol/rosterx'/></query>");
	g_assert_cmpint(pg_roster_ladder_mode(pg_test_session(fixture)), ==,
			PG_ROSTER_MODE_EXCHANGE);

	pg_test_buddy(fixture, "bob@legacy.example.net", "Bob", "Friends");
	pg_roster_ladder_sync(fixture->link);
	exchange = pg_test_find(fixture, "message", PG_NS_ROSTERX, 0);
	g_assert_nonnull(exchange);
	g_assert_cmpstr(xmpp_stanza_get_to(exchange), ==, PG_TEST_USER "/laptop");
	item = xmpp_stanza_get_child_by_name(
	    xmpp_stanza_get_child_by_name_and_ns(exchange, "x", PG_NS_ROSTERX), "item");
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "action"), ==, "add");
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "jid"), ==, PG_TEST_BOB);
	/* and no subscription request */
	for (guint i = 0; i < fixture->sent->len; i++)
		g_assert_cmpstr(xmpp_stanza_get_type(g_ptr_array_index(fixture->sent, i)), !=,
				"subscribe");
	/* a change after that is one modify */
	pg_test_buddy(fixture, "bob@legacy.example.net", "Robert", "Friends");
	exchange = pg_test_find(fixture, "message", PG_NS_ROSTERX, 1);
	g_assert_nonnull(exchange);
	item = xmpp_stanza_get_child_by_name(
	    xmpp_stanza_get_child_by_name_and_ns(exchange, "x", PG_NS_ROSTERX), "item");
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "action"), ==, "modify");
	g_assert_cmpstr(xmpp_stanza_get_attribute(item, "name"), ==, "Robert");

	/* the client goes: requests again */
	pg_test_receive(fixture, "<presence type='unavailable' from='" PG_TEST_USER
				 "/laptop' to='" PG_TEST_PURPLE "'/>");
	g_assert_cmpint(pg_roster_ladder_mode(pg_test_session(fixture)), ==,
			PG_ROSTER_MODE_SUBSCRIBE);
}

/* The command's first stage: the form, with the mode in it. */
static const gchar *
pg_test_command_mode(PgTestFixture *fixture)
{
	xmpp_stanza_t *reply;
	xmpp_stanza_t *x;

	pg_test_receive(fixture, "<iq type='set' id='c1' from='" PG_TEST_USER "/phone' to='" PG_TEST_PURPLE
				 "'><command xmlns='http://jabber.org/protocol/commands' "
				 "node='roster' action='execute'/></iq>");
	reply = g_ptr_array_index(fixture->sent, fixture->sent->len - 1);
	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	x = xmpp_stanza_get_child_by_ns(
	    xmpp_stanza_get_child_by_ns(reply, "http://jabber.org/protocol/commands"), PG_NS_DATA);
	g_assert_nonnull(x);
	for (xmpp_stanza_t *field = xmpp_stanza_get_children(x); field != NULL;
	     field = xmpp_stanza_get_next(field)) {
		if (g_strcmp0(xmpp_stanza_get_attribute(field, "var"), "mode") == 0) {
			xmpp_stanza_t *value = xmpp_stanza_get_child_by_name(field, "value");
			g_autofree gchar *text = xmpp_stanza_get_text(value);
			return g_intern_string(text);
		}
	}
	g_assert_not_reached();
}

static void
test_ladder_command_tells_the_mode(PgTestFixture *fixture, gconstpointer user_data)
{
	g_assert_cmpstr(pg_test_command_mode(fixture), ==, "subscription");
	pg_test_receive(fixture, PG_TEST_GRANT);
	g_assert_cmpstr(pg_test_command_mode(fixture), ==, "privileged");
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	ctx = pg_stanza_ctx_new();
	g_test_add_func("/roster-ladder/push/carries-name-group-and-both",
			test_ladder_push_carries_name_group_and_both);
	g_test_add_func("/roster-ladder/push/removes-and-skips-empty-texts",
			test_ladder_push_removes_and_skips_empty_texts);
	g_test_add_func("/roster-ladder/exchange/lists-items-with-actions",
			test_ladder_exchange_lists_items_with_actions);
#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func, pg_test_fixture_teardown)
	PG_TEST_ADD("/roster-ladder/privilege/granted-only-by-the-server",
		    test_ladder_grant_only_from_the_server);
	PG_TEST_ADD("/roster-ladder/privileged/sync-adds-missing-and-removes-stale",
		    test_ladder_privileged_sync_adds_missing_and_removes_stale);
	PG_TEST_ADD("/roster-ladder/privileged/sign-on-after-a-drop-resyncs",
		    test_ladder_privileged_sign_on_after_a_drop_resyncs);
	PG_TEST_ADD("/roster-ladder/privileged/keeps-the-group-of-a-contact-the-user-added",
		    test_ladder_privileged_keeps_the_group_of_a_contact_the_user_added);
	PG_TEST_ADD("/roster-ladder/privileged/refused-push-drops-a-rung",
		    test_ladder_refused_push_drops_a_rung);
	PG_TEST_ADD("/roster-ladder/rosterx/client-gets-suggestions",
		    test_ladder_rosterx_client_gets_suggestions);
	PG_TEST_ADD("/roster-ladder/command/tells-the-mode", test_ladder_command_tells_the_mode);
	rc = g_test_run();
	xmpp_ctx_free(ctx);
	return rc;
}
