/* Unit tests of what a legacy contact shows a client (issue 9, item 5):
 * XEP-0115 caps on its presence that its disco#info answer verifies
 * (src/session/pg-contact-caps.c), no XEP-0184 receipt the legacy network
 * did not give, and XEP-0203 delayed delivery for a message the worker
 * says came late (src/session/pg-contacts.c).  Events go through a real
 * session manager (pg-test-purple.h). */
#define G_LOG_DOMAIN "test-contacts"

#include "config.h"

#include <string.h>

#include "session/pg-contact-avatar.h"
#include "session/pg-contact-caps.h"
#include "session/pg-limits.h"
#include "session/pg-roster-ladder.h"
#include "session/pg-session-manager.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

#include "pg-test-purple.h"

#define PG_TEST_BOB           "bob\\40legacy.example.net@" PG_TEST_PURPLE
#define PG_NS_RECEIPTS        "urn:xmpp:receipts"
#define PG_NS_DELAY_TEST      "urn:xmpp:delay"
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

static gint
pg_test_compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* XEP-0115 §5.1, computed the way a client does, from a disco#info
 * <query/> (identities without xml:lang here; no extended forms). */
static gchar *
pg_test_caps_ver(xmpp_stanza_t *query)
{
	g_autoptr(GPtrArray) identities = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) features = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	guint8 digest[20];
	gsize len = sizeof(digest);

	for (xmpp_stanza_t *child = xmpp_stanza_get_children(query); child != NULL;
	     child = xmpp_stanza_get_next(child)) {
		const gchar *name = xmpp_stanza_get_name(child);
		if (g_strcmp0(name, "identity") == 0) {
			const gchar *n = xmpp_stanza_get_attribute(child, "name");
			g_ptr_array_add(
			    identities,
			    g_strdup_printf(
				"%s/%s//%s", xmpp_stanza_get_attribute(child, "category"),
				xmpp_stanza_get_attribute(child, "type"), n != NULL ? n : ""));
		} else if (g_strcmp0(name, "feature") == 0) {
			g_ptr_array_add(features,
					g_strdup(xmpp_stanza_get_attribute(child, "var")));
		}
	}
	g_ptr_array_sort(identities, pg_test_compare_strings);
	g_ptr_array_sort(features, pg_test_compare_strings);
	for (guint i = 0; i < identities->len; i++)
		g_string_append_printf(s, "%s<", (const gchar *)g_ptr_array_index(identities, i));
	for (guint i = 0; i < features->len; i++)
		g_string_append_printf(s, "%s<", (const gchar *)g_ptr_array_index(features, i));
	g_checksum_update(sha1, (const guchar *)s->str, s->len);
	g_checksum_get_digest(sha1, digest, &len);
	return g_base64_encode(digest, len);
}

/* The same helper checked against XEP-0115 §5.2's own example, so a wrong
 * helper cannot agree with a wrong gateway. */
static void
test_contacts_caps_helper_matches_xep_0115_example(void)
{
	xmpp_ctx_t *ctx = pg_stanza_ctx_new();
	xmpp_stanza_t *query = xmpp_stanza_new_from_string(
	    ctx, "<query xmlns='http://jabber.org/protocol/disco#info'>"
		 "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
		 "<feature var='http://jabber.org/protocol/caps'/>"
		 "<feature var='http://jabber.org/protocol/disco#info'/>"
		 "<feature var='http://jabber.org/protocol/disco#items'/>"
		 "<feature var='http://jabber.org/protocol/muc'/></query>");
	g_autofree gchar *ver = pg_test_caps_ver(query);

	g_assert_cmpstr(ver, ==, "QgayPKawpkPSDYmwT/WM94uAlu0=");
	xmpp_stanza_release(query);
	xmpp_ctx_free(ctx);
}

static void
pg_test_deliver(PgTestFixture *fixture, PgIpcMessage *msg)
{
	g_autoptr(PgIpcMessage) owned = msg;

	g_assert_true(pg_ipc_message_validate(owned, NULL));
	pg_supervisor_deliver_event(fixture->manager->supervisor, owned);
}

static xmpp_stanza_t *
pg_test_last(PgTestFixture *fixture)
{
	g_assert_cmpuint(fixture->sent->len, >, 0);
	return g_ptr_array_index(fixture->sent, fixture->sent->len - 1);
}

static void
pg_test_bob_online(PgTestFixture *fixture, const gchar *status)
{
	pg_test_deliver(fixture,
			pg_ipc_message_new(PG_IPC_EVT_BUDDY, 0, "account",
					   g_variant_new_string(fixture->link->account), "who",
					   g_variant_new_string("bob@legacy.example.net"), NULL));
	pg_test_deliver(fixture,
			pg_ipc_message_new(PG_IPC_EVT_BUDDY_PRESENCE, 0, "account",
					   g_variant_new_string(fixture->link->account), "who",
					   g_variant_new_string("bob@legacy.example.net"), "status",
					   g_variant_new_string(status), NULL));
}

/* The reply to a disco#info from the user to @to with @node (nullable). */
static xmpp_stanza_t *
pg_test_disco(PgTestFixture *fixture, const gchar *to, const gchar *node)
{
	g_autofree gchar *node_attr =
	    node != NULL ? g_markup_printf_escaped(" node='%s'", node) : g_strdup("");
	g_autofree gchar *xml =
	    g_strdup_printf("<iq type='get' id='d1' from='" PG_TEST_USER "/phone' to='%s'>"
			    "<query xmlns='http://jabber.org/protocol/disco#info'%s/></iq>",
			    to, node_attr);

	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_receive(fixture, xml);
	g_assert_cmpuint(fixture->sent->len, ==, 1);
	return pg_test_last(fixture);
}

static void
test_contacts_presence_caps_verify_against_disco(PgTestFixture *fixture, gconstpointer user_data)
{
	xmpp_stanza_t *presence;
	xmpp_stanza_t *c;
	xmpp_stanza_t *reply;
	xmpp_stanza_t *query;
	g_autofree gchar *node = NULL;
	g_autofree gchar *ver = NULL;
	g_autofree gchar *plain_ver = NULL;
	g_autofree gchar *node_ver = NULL;

	pg_test_bob_online(fixture, "away");
	presence = pg_test_last(fixture);
	g_assert_cmpstr(xmpp_stanza_get_from(presence), ==, PG_TEST_BOB);
	c = xmpp_stanza_get_child_by_name_and_ns(presence, "c", PG_NS_CAPS);
	g_assert_nonnull(c);
	g_assert_cmpstr(xmpp_stanza_get_attribute(c, "hash"), ==, "sha-1");
	g_assert_nonnull(xmpp_stanza_get_attribute(c, "node"));
	ver = g_strdup(xmpp_stanza_get_attribute(c, "ver"));
	node = g_strdup_printf("%s#%s", xmpp_stanza_get_attribute(c, "node"), ver);

	/* XEP-0115 §5.4: the client asks the contact, and hashes the answer */
	reply = pg_test_disco(fixture, PG_TEST_BOB, NULL);
	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	query = xmpp_stanza_get_child_by_name(reply, "query");
	plain_ver = pg_test_caps_ver(query);
	g_assert_cmpstr(plain_ver, ==, ver);
	/* ... or asks for node#ver (§6.2): the same answer, the node echoed */
	reply = pg_test_disco(fixture, PG_TEST_BOB, node);
	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	query = xmpp_stanza_get_child_by_name(reply, "query");
	g_assert_cmpstr(xmpp_stanza_get_attribute(query, "node"), ==, node);
	node_ver = pg_test_caps_ver(query);
	g_assert_cmpstr(node_ver, ==, ver);
	/* the typing the gateway relays is claimed; receipts it cannot give are not
	 */
	{
		gboolean chatstates = FALSE;
		for (xmpp_stanza_t *f = xmpp_stanza_get_children(query); f != NULL;
		     f = xmpp_stanza_get_next(f)) {
			const gchar *var = xmpp_stanza_get_attribute(f, "var");
			g_assert_cmpstr(var, !=, PG_NS_RECEIPTS);
			chatstates |= g_strcmp0(var, PG_NS_CHATSTATES_TEST) == 0;
		}
		g_assert_true(chatstates);
	}
	/* another node is not there (XEP-0030 §3.1) */
	reply = pg_test_disco(fixture, PG_TEST_BOB, "https://polygate.invalid/contact#forged");
	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "error");
	g_assert_nonnull(xmpp_stanza_get_child_by_name(
	    xmpp_stanza_get_child_by_name(reply, "error"), "item-not-found"));

	/* unavailable presence carries no caps (XEP-0115 §4: on presence
	 * that says what the entity can do now) */
	pg_test_bob_online(fixture, "offline");
	presence = pg_test_last(fixture);
	g_assert_cmpstr(xmpp_stanza_get_type(presence), ==, "unavailable");
	g_assert_null(xmpp_stanza_get_child_by_name_and_ns(presence, "c", PG_NS_CAPS));
}

static void
test_contacts_no_receipt_the_network_did_not_give(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_bob_online(fixture, "available");
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_receive(fixture, "<message type='chat' id='m1' from='" PG_TEST_USER
				 "/phone' to='" PG_TEST_BOB "'><body>did you get this?</body>"
				 "<request xmlns='" PG_NS_RECEIPTS "'/></message>");
	/* the message waits for the login; nothing answers for the buddy */
	for (guint i = 0; i < fixture->sent->len; i++) {
		xmpp_stanza_t *stanza = g_ptr_array_index(fixture->sent, i);
		g_assert_null(xmpp_stanza_get_child_by_ns(stanza, PG_NS_RECEIPTS));
	}
	g_assert_cmpuint(g_queue_get_length(fixture->link->pending), ==, 1);
}

static void
pg_test_im(PgTestFixture *fixture, const gchar *body, GVariant *stamp)
{
	pg_test_deliver(fixture,
			pg_ipc_message_new(PG_IPC_EVT_IM_RECEIVED, 0, "account",
					   g_variant_new_string(fixture->link->account), "from",
					   g_variant_new_string("bob@legacy.example.net"), "body",
					   g_variant_new_string(body), "stamp", stamp, NULL));
}

static void
test_contacts_late_message_keeps_its_time(PgTestFixture *fixture, gconstpointer user_data)
{
	xmpp_stanza_t *message;
	xmpp_stanza_t *delay;

	/* 2020-01-01T00:00:00Z, kept by the legacy server */
	pg_test_im(fixture, "while you were out", g_variant_new_int64(1577836800));
	message = pg_test_last(fixture);
	g_assert_cmpstr(xmpp_stanza_get_from(message), ==, PG_TEST_BOB);
	delay = xmpp_stanza_get_child_by_name_and_ns(message, "delay", PG_NS_DELAY_TEST);
	g_assert_nonnull(delay);
	g_assert_cmpstr(xmpp_stanza_get_attribute(delay, "stamp"), ==, "2020-01-01T00:00:00Z");
	g_assert_cmpstr(xmpp_stanza_get_attribute(delay, "from"), ==, PG_TEST_PURPLE);
	/* XEP-0085: a late message says nothing of the contact now */
	g_assert_null(xmpp_stanza_get_child_by_ns(message, PG_NS_CHATSTATES_TEST));
}

static void
test_contacts_live_or_impossible_stamps_add_no_delay(PgTestFixture *fixture,
						     gconstpointer user_data)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	const gint64 stamps[] = {now + 3600, -5, 0, G_MAXINT64};

	pg_test_im(fixture, "live", NULL);
	g_assert_null(
	    xmpp_stanza_get_child_by_name_and_ns(pg_test_last(fixture), "delay", PG_NS_DELAY_TEST));
	g_assert_nonnull(xmpp_stanza_get_child_by_name_and_ns(pg_test_last(fixture), "active",
							      PG_NS_CHATSTATES_TEST));
	/* a hostile worker's stamps: the future, before 1970, past year 9999 */
	for (gsize i = 0; i < G_N_ELEMENTS(stamps); i++) {
		pg_test_im(fixture, "odd", g_variant_new_int64(stamps[i]));
		g_assert_null(xmpp_stanza_get_child_by_name_and_ns(pg_test_last(fixture), "delay",
								   PG_NS_DELAY_TEST));
	}
}

static void
pg_test_fixture_setup_three(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_purple_setup(fixture, "max_contacts_per_user = 3\n");
}

/* max_contacts_per_user bounds what a worker makes the daemon show, and
 * /metrics says so (pg-limits.h). */
static void
test_contacts_limit_is_configured_and_counted(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GString) text = g_string_new(NULL);
	guint subscribes = 0;

	g_test_expect_message("pg-session", G_LOG_LEVEL_WARNING, "*max_contacts_per_user = 3*");
	for (guint i = 0; i < 10; i++) {
		g_autofree gchar *who = g_strdup_printf("buddy%u@legacy.example.net", i);
		pg_test_deliver(fixture,
				pg_ipc_message_new(PG_IPC_EVT_BUDDY, 0, "account",
						   g_variant_new_string(fixture->link->account),
						   "who", g_variant_new_string(who), NULL));
	}
	g_test_assert_expected_messages();
	/* the list settles before it is offered (pg-roster-ladder.c) */
	pg_roster_ladder_sync(fixture->link);
	for (guint i = 0; i < fixture->sent->len; i++)
		subscribes += g_strcmp0(xmpp_stanza_get_type(g_ptr_array_index(fixture->sent, i)),
					"subscribe") == 0;
	g_assert_cmpuint(subscribes, ==, 3);
	pg_limits_append_metrics(fixture->manager->limits, text);
	g_assert_nonnull(strstr(text->str, "polygate_limit_per_user{transport=\"" PG_TEST_PURPLE
					   "\",limit=\"contacts\"} 3\n"));
	g_assert_nonnull(strstr(text->str,
				"polygate_limit_rejections_total{transport=\"" PG_TEST_PURPLE
				"\",limit=\"contacts\"} 7\n"));
}

/* An untrusted list is never unbounded: 0 is no value for it. */
static void
test_contacts_limit_cannot_be_unbounded(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = pg_config_load_from_data(
	    "[polygate]\ndatabase = r.db\nkey_file = r.key\n\n[transport purple]\n"
	    "jid = " PG_TEST_PURPLE "\nsecret = s\ntype = purple\nmax_contacts_per_user = 0\n",
	    "/nonexistent/polygate.conf", &error);

	g_assert_null(config);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "max_contacts_per_user"));
}


static void
pg_test_icon(PgTestFixture *fixture, const gchar *who, const guint8 *data, gsize len,
	     const gchar *type)
{
	pg_test_deliver(
	    fixture,
	    pg_ipc_message_new(PG_IPC_EVT_BUDDY_ICON, 0, "account",
			       g_variant_new_string(fixture->link->account), "who",
			       g_variant_new_string(who), "data",
			       data != NULL ? g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data,
									len, 1)
					    : NULL,
			       "type", type != NULL ? g_variant_new_string(type) : NULL, NULL));
}

/* The <photo/> hash of the last presence from bob, or NULL. */
static gchar *
pg_test_photo(PgTestFixture *fixture)
{
	xmpp_stanza_t *presence = pg_test_last(fixture);
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(presence, "x", PG_NS_VCARD_UPDATE);

	g_assert_cmpstr(xmpp_stanza_get_name(presence), ==, "presence");
	return x != NULL ? pg_stanza_get_child_text(x, "photo") : NULL;
}

/* XEP-0153: an icon becomes the photo hash of the contact's presence and
 * the PHOTO of its vCard; the picture's bytes are what the worker sent. */
static void
test_contacts_icon_is_a_vcard_avatar(PgTestFixture *fixture, gconstpointer user_data)
{
	static const guint8 png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0};
	g_autofree gchar *hash = g_compute_checksum_for_data(G_CHECKSUM_SHA1, png, sizeof(png));
	g_autofree gchar *photo = NULL;
	g_autofree gchar *base64 = NULL;
	g_autofree gchar *binval = NULL;
	xmpp_stanza_t *reply;
	xmpp_stanza_t *vcard;

	pg_test_bob_online(fixture, "available");
	g_assert_null(pg_test_photo(fixture));
	/* XEP-0153 §4.3: a new icon sends the presence again, with its hash */
	pg_test_icon(fixture, "bob@legacy.example.net", png, sizeof(png), "image/png");
	photo = pg_test_photo(fixture);
	g_assert_cmpstr(photo, ==, hash);
	/* XEP-0054 §3.1: the vCard of the contact */
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_receive(fixture, "<iq type='get' id='v1' from='" PG_TEST_USER "/phone' to='" PG_TEST_BOB
				 "'><vCard xmlns='vcard-temp'/></iq>");
	g_assert_cmpuint(fixture->sent->len, ==, 1);
	reply = pg_test_last(fixture);
	g_assert_cmpstr(xmpp_stanza_get_type(reply), ==, "result");
	vcard = xmpp_stanza_get_child_by_name_and_ns(reply, "vCard", PG_NS_VCARD);
	g_assert_nonnull(vcard);
	binval = pg_stanza_get_child_text(xmpp_stanza_get_child_by_name(vcard, "PHOTO"), "BINVAL");
	base64 = g_base64_encode(png, sizeof(png));
	g_assert_cmpstr(binval, ==, base64);
	/* the icon goes: the presence says no photo hash any more */
	pg_test_icon(fixture, "bob@legacy.example.net", NULL, 0, NULL);
	g_assert_null(pg_test_photo(fixture));
}

/* A worker's icons are bounded: too big, not an image, not a listed buddy,
 * past max_avatar_bytes_per_user: none is kept, and the last is counted. */
static void
test_contacts_icons_are_bounded(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree guint8 *big = g_malloc0(PG_CONTACT_AVATAR_MAX + 1);
	g_autofree guint8 *fits = g_malloc0(600);
	g_autofree gchar *photo = NULL;

	pg_test_bob_online(fixture, "available");
	pg_test_icon(fixture, "bob@legacy.example.net", big, PG_CONTACT_AVATAR_MAX + 1,
		     "image/png");
	g_assert_null(pg_test_photo(fixture));
	pg_test_icon(fixture, "bob@legacy.example.net", fits, 600, "text/html");
	g_assert_null(pg_test_photo(fixture));
	g_ptr_array_set_size(fixture->sent, 0);
	pg_test_icon(fixture, "stranger@legacy.example.net", fits, 600, "image/png");
	g_assert_cmpuint(fixture->sent->len, ==, 0);
	/* max_avatar_bytes_per_user = 1000 (the fixture): 600 fit, 600 more not */
	pg_test_icon(fixture, "bob@legacy.example.net", fits, 600, "image/png");
	photo = pg_test_photo(fixture);
	g_assert_nonnull(photo);
	pg_test_deliver(fixture, pg_ipc_message_new(PG_IPC_EVT_BUDDY, 0, "account",
						    g_variant_new_string(fixture->link->account),
						    "who",
						    g_variant_new_string("carol@legacy.example.net"),
						    NULL));
	pg_test_deliver(fixture,
			pg_ipc_message_new(PG_IPC_EVT_BUDDY_PRESENCE, 0, "account",
					   g_variant_new_string(fixture->link->account), "who",
					   g_variant_new_string("carol@legacy.example.net"),
					   "status", g_variant_new_string("available"), NULL));
	pg_test_icon(fixture, "carol@legacy.example.net", fits, 600, "image/png");
	g_assert_null(pg_test_photo(fixture));
	g_assert_cmpuint(pg_limits_get_rejections(fixture->manager->limits,
						  pg_transport_get_config(fixture->purple),
						  PG_LIMIT_AVATAR_BYTES),
			 ==, 1);
}

static void
pg_test_fixture_setup_small_avatars(PgTestFixture *fixture, gconstpointer user_data)
{
	pg_test_purple_setup(fixture, "max_avatar_bytes_per_user = 1000\n");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/contacts/caps/helper-matches-xep-0115-example",
			test_contacts_caps_helper_matches_xep_0115_example);
#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func, pg_test_fixture_teardown)
	PG_TEST_ADD("/contacts/caps/presence-caps-verify-against-disco",
		    test_contacts_presence_caps_verify_against_disco);
	PG_TEST_ADD("/contacts/receipts/none-the-network-did-not-give",
		    test_contacts_no_receipt_the_network_did_not_give);
	PG_TEST_ADD("/contacts/delay/late-message-keeps-its-time",
		    test_contacts_late_message_keeps_its_time);
	PG_TEST_ADD("/contacts/delay/live-or-impossible-stamps-add-no-delay",
		    test_contacts_live_or_impossible_stamps_add_no_delay);
	g_test_add("/contacts/limit/configured-and-counted", PgTestFixture, NULL,
		   pg_test_fixture_setup_three, test_contacts_limit_is_configured_and_counted,
		   pg_test_fixture_teardown);
	g_test_add_func("/contacts/limit/cannot-be-unbounded",
			test_contacts_limit_cannot_be_unbounded);
	PG_TEST_ADD("/contacts/avatar/icon-is-a-vcard-avatar", test_contacts_icon_is_a_vcard_avatar);
	g_test_add("/contacts/avatar/icons-are-bounded", PgTestFixture, NULL,
		   pg_test_fixture_setup_small_avatars, test_contacts_icons_are_bounded,
		   pg_test_fixture_teardown);
	return g_test_run();
}
