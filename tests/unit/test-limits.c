/* Unit tests of src/session/pg-limits.c: per-user and gateway-wide limits
 * (issue 8, item 4).  The checks on their own, the config keys and their
 * validation, and the session-aware checks on a real PgSessionManager whose
 * transports never connect and whose links never log in. */
#define G_LOG_DOMAIN "test-limits"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "core/pg-error.h"
#include "registry/pg-account.h"
#include "registry/pg-registry.h"
#include "registry/pg-sms-queue.h"
#include "registry/pg-vault.h"
#include "session/pg-limits.h"
#include "session/pg-session-manager.h"
#include "session/pg-session-private.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

#define PG_TEST_IRC  "irc.example.org"
#define PG_TEST_SMS  "sms.example.org"
#define PG_TEST_USER "alice@example.org"
#define PG_TEST_T0   G_GINT64_CONSTANT(1700000000)

static const guint8 pg_test_key[PG_VAULT_KEY_LEN] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
    0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

static const gchar pg_test_config[] = "[polygate]\n"
				      "database = registry.db\n"
				      "key_file = registry.key\n"
				      "max_links = 4\n"
				      "\n"
				      "[http]\n"
				      "port = 0\n"
				      "\n"
				      "[transport irc]\n"
				      "jid = " PG_TEST_IRC "\n"
				      "secret = s3cret\n"
				      "type = irc\n"
				      "max_links_per_user = 3\n"
				      "max_rooms_per_user = 2\n"
				      "max_queued_bytes_per_user = 1000\n"
				      "\n"
				      "[transport sms]\n"
				      "jid = " PG_TEST_SMS "\n"
				      "secret = s3cret\n"
				      "type = sms\n"
				      "max_sms_per_minute_per_user = 2\n"
				      "max_sms_per_day_per_user = 3\n";

typedef struct {
	gchar *dir;
	PgConfig *config;
	PgVault *vault;
	PgRegistry *registry;
	PgTransport *irc;
	PgTransport *sms;
	PgSessionManager *manager;
	xmpp_ctx_t *ctx;
	GPtrArray *sent; /* xmpp_stanza_t: what the transports sent */
} PgTestFixture;

static void
pg_test_stanza_release(gpointer stanza)
{
	xmpp_stanza_release(stanza);
}

static void
pg_test_fixture_setup(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *db_path = NULL;

	fixture->dir = g_dir_make_tmp("polygate-test-limits-XXXXXX", &error);
	g_assert_no_error(error);
	config_path = g_build_filename(fixture->dir, "polygate.conf", NULL);
	fixture->config = pg_config_load_from_data(pg_test_config, config_path, &error);
	g_assert_no_error(error);
	db_path = g_build_filename(fixture->dir, "registry.db", NULL);
	fixture->vault = pg_vault_new_for_test(1, pg_test_key);
	fixture->registry = pg_registry_open(db_path, fixture->vault, &error);
	g_assert_no_error(error);
	fixture->irc = pg_transport_new(fixture->config,
					g_ptr_array_index(fixture->config->transports, 0),
					fixture->registry);
	fixture->sms = pg_transport_new(fixture->config,
					g_ptr_array_index(fixture->config->transports, 1),
					fixture->registry);
	fixture->manager = pg_session_manager_new(fixture->config, "/nonexistent/polygate-purple");
	pg_session_manager_add_transport(fixture->manager, fixture->irc);
	pg_session_manager_add_transport(fixture->manager, fixture->sms);
	/* no worker: links stay connecting, and what the user sends waits */
	pg_supervisor_hold_logins(fixture->manager->supervisor, TRUE);
	fixture->ctx = pg_stanza_ctx_new();
	fixture->sent = g_ptr_array_new_with_free_func(pg_test_stanza_release);
}

static void
pg_test_fixture_teardown(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	const gchar *name;

	g_clear_pointer(&fixture->manager, pg_session_manager_free);
	g_clear_pointer(&fixture->sent, g_ptr_array_unref);
	g_clear_pointer(&fixture->irc, pg_transport_free);
	g_clear_pointer(&fixture->sms, pg_transport_free);
	g_clear_pointer(&fixture->registry, pg_registry_free);
	g_clear_pointer(&fixture->vault, pg_vault_free);
	g_clear_pointer(&fixture->config, pg_config_free);
	g_clear_pointer(&fixture->ctx, xmpp_ctx_free);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(fixture->dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(fixture->dir);
	g_free(fixture->dir);
}

static const PgTransportConfig *
pg_test_irc_config(PgTestFixture *fixture)
{
	return pg_transport_get_config(fixture->irc);
}

static PgLimits *
pg_test_limits(PgTestFixture *fixture)
{
	return fixture->manager->limits;
}

/* A room as pg-session.c keeps it (its free function needs every table). */
static void
pg_test_add_room(PgLink *link, const gchar *name)
{
	PgRoom *room = g_new0(PgRoom, 1);
	room->name = g_strdup(name);
	room->jid = g_strdup_printf("%s%%%s@" PG_TEST_IRC, name, link->server);
	room->nick = g_strdup("alice");
	room->resources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	room->occupants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	room->echo_ids = g_queue_new();
	g_hash_table_insert(link->rooms, g_strdup(name), room);
}

static PgIpcMessage *
pg_test_room_message(PgLink *link, gsize body_len)
{
	g_autofree gchar *body = g_strnfill(body_len, 'x');
	return pg_ipc_message_new(PG_IPC_CMD_ROOM_MESSAGE, 0, "account",
				  g_variant_new_string(link->account), "room",
				  g_variant_new_string("#a"), "body", g_variant_new_string(body),
				  NULL);
}

static void
pg_test_sent_cb(PgTransport *transport, xmpp_stanza_t *stanza, gpointer user_data)
{
	PgTestFixture *fixture = user_data;
	g_ptr_array_add(fixture->sent, xmpp_stanza_clone(stanza));
}

/* Feed @xml to the IRC transport as if the XMPP server sent it. */
static void
pg_test_receive(PgTestFixture *fixture, const gchar *xml)
{
	xmpp_stanza_t *stanza = xmpp_stanza_new_from_string(fixture->ctx, xml);

	g_assert_nonnull(stanza);
	pg_transport_receive(fixture->irc, stanza);
	xmpp_stanza_release(stanza);
}

/* The error condition of the stanza sent last to @to, or NULL. */
static const gchar *
pg_test_last_error(PgTestFixture *fixture, const gchar *from)
{
	for (guint i = fixture->sent->len; i > 0; i--) {
		xmpp_stanza_t *stanza = g_ptr_array_index(fixture->sent, i - 1);
		xmpp_stanza_t *error;

		if (g_strcmp0(xmpp_stanza_get_from(stanza), from) != 0)
			continue;
		error = xmpp_stanza_get_child_by_name(stanza, "error");
		if (error == NULL || g_strcmp0(xmpp_stanza_get_type(stanza), "error") != 0)
			return NULL;
		for (xmpp_stanza_t *child = xmpp_stanza_get_children(error); child != NULL;
		     child = xmpp_stanza_get_next(child)) {
			if (g_strcmp0(xmpp_stanza_get_name(child), "text") != 0)
				return xmpp_stanza_get_name(child);
		}
	}
	return NULL;
}

/* ---- the checks on their own ---- */

typedef struct {
	PgLimit limit;
	guint64 used;
	guint64 adding;
	PgErrorCode code; /* PG_ERROR_LAST: fits */
	const gchar *text; /* in the message of a refusal */
} PgLimitCase;

static const PgLimitCase pg_limit_cases[] = {
    {.limit = PG_LIMIT_LINKS, .used = 2, .adding = 1, .code = PG_ERROR_LAST},
    {.limit = PG_LIMIT_LINKS,
     .used = 3,
     .adding = 1,
     .code = PG_ERROR_POLICY_VIOLATION,
     .text = "max_links_per_user = 3"},
    {.limit = PG_LIMIT_ROOMS, .used = 1, .adding = 1, .code = PG_ERROR_LAST},
    {.limit = PG_LIMIT_ROOMS,
     .used = 2,
     .adding = 1,
     .code = PG_ERROR_POLICY_VIOLATION,
     .text = "max_rooms_per_user = 2"},
    {.limit = PG_LIMIT_QUEUED_BYTES, .used = 0, .adding = 1000, .code = PG_ERROR_LAST},
    {.limit = PG_LIMIT_QUEUED_BYTES,
     .used = 1,
     .adding = 1000,
     .code = PG_ERROR_RESOURCE_CONSTRAINT,
     .text = "max_queued_bytes_per_user = 1000"},
    {.limit = PG_LIMIT_GATEWAY_LINKS, .used = 3, .adding = 1, .code = PG_ERROR_LAST},
    {.limit = PG_LIMIT_GATEWAY_LINKS,
     .used = 4,
     .adding = 1,
     .code = PG_ERROR_RESOURCE_CONSTRAINT,
     .text = "max_links = 4"},
    /* no SMS limits on an IRC transport: 0 = none */
    {.limit = PG_LIMIT_SMS_PER_DAY, .used = 1000000, .adding = 1, .code = PG_ERROR_LAST},
};

static void
test_limits_check_table(PgTestFixture *fixture, gconstpointer user_data)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_limit_cases); i++) {
		const PgLimitCase *c = &pg_limit_cases[i];
		g_autoptr(GError) error = NULL;
		guint64 before = pg_limits_get_rejections(pg_test_limits(fixture),
							  pg_test_irc_config(fixture), c->limit);
		gboolean ok = pg_limits_check(pg_test_limits(fixture), pg_test_irc_config(fixture),
					      c->limit, c->used, c->adding, &error);

		g_test_message("case %" G_GSIZE_FORMAT ": %s", i, pg_limit_to_string(c->limit));
		if (c->code == PG_ERROR_LAST) {
			g_assert_no_error(error);
			g_assert_true(ok);
			g_assert_cmpuint(pg_limits_get_rejections(pg_test_limits(fixture),
								  pg_test_irc_config(fixture),
								  c->limit),
					 ==, before);
			continue;
		}
		g_assert_false(ok);
		g_assert_error(error, PG_ERROR, (gint)c->code);
		g_assert_nonnull(strstr(error->message, c->text));
		g_assert_cmpuint(pg_limits_get_rejections(pg_test_limits(fixture),
							  pg_test_irc_config(fixture), c->limit),
				 ==, before + 1);
	}
}

static void
test_limits_config_defaults(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgConfig) config = pg_config_load_from_data(
	    "[polygate]\ndatabase = r.db\nkey_file = r.key\n[http]\nport = 0\n"
	    "[transport irc]\njid = irc.example.org\nsecret = s\ntype = irc\n"
	    "[transport sms]\njid = sms.example.org\nsecret = s\ntype = sms\n",
	    "/nonexistent/polygate.conf", &error);
	const PgTransportConfig *irc;
	const PgTransportConfig *sms;

	g_assert_no_error(error);
	irc = g_ptr_array_index(config->transports, 0);
	sms = g_ptr_array_index(config->transports, 1);
	/* conf/polygate.conf.example says why */
	g_assert_cmpuint(config->max_links, ==, 1000);
	g_assert_cmpuint(irc->max_links_per_user, ==, 5);
	g_assert_cmpuint(irc->max_rooms_per_user, ==, 100);
	g_assert_cmpuint(irc->max_queued_bytes_per_user, ==, 256 * 1024);
	g_assert_cmpuint(sms->max_sms_per_minute_per_user, ==, 10);
	g_assert_cmpuint(sms->max_sms_per_day_per_user, ==, 200);
}

typedef struct {
	const gchar *transport_lines; /* appended to the [transport] group */
	const gchar *polygate_lines;  /* appended to [polygate] */
	const gchar *problem;         /* NULL: valid */
} PgLimitConfigCase;

static const PgLimitConfigCase pg_limit_config_cases[] = {
    {.transport_lines = "type = irc\nmax_links_per_user = 0\n"},
    {.transport_lines = "type = irc\nmax_links_per_user = -1\n",
     .problem = "[transport t] max_links_per_user: must be a whole number from 0 to 10000"},
    {.transport_lines = "type = irc\nmax_rooms_per_user = many\n",
     .problem = "[transport t] max_rooms_per_user: must be a whole number"},
    {.transport_lines = "type = irc\nmax_queued_bytes_per_user = 2147483648\n",
     .problem = "max_queued_bytes_per_user: must be a whole number from 0 to 1073741824"},
    {.transport_lines = "type = sms\nmax_links_per_user = 3\n",
     .problem = "[transport t] max_links_per_user: only valid with type = irc"},
    {.transport_lines = "type = purple\nmax_rooms_per_user = 3\n",
     .problem = "[transport t] max_rooms_per_user: only valid with type = irc"},
    {.transport_lines = "type = irc\nmax_sms_per_day_per_user = 3\n",
     .problem = "[transport t] max_sms_per_day_per_user: only valid with type = sms"},
    {.transport_lines = "type = sms\nmax_sms_per_minute_per_user = 1.5\n",
     .problem = "max_sms_per_minute_per_user: must be a whole number"},
    {.transport_lines = "type = irc\n",
     .polygate_lines = "max_links = -5\n",
     .problem = "[polygate] max_links: must be a whole number from 0 to 1000000"},
};

static void
test_limits_config_validation(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(pg_limit_config_cases); i++) {
		const PgLimitConfigCase *c = &pg_limit_config_cases[i];
		g_autoptr(GError) error = NULL;
		g_autofree gchar *text = g_strdup_printf(
		    "[polygate]\ndatabase = r.db\nkey_file = r.key\n%s[http]\nport = 0\n"
		    "[transport t]\njid = t.example.org\nsecret = s\n%s",
		    c->polygate_lines != NULL ? c->polygate_lines : "", c->transport_lines);
		g_autoptr(PgConfig) config =
		    pg_config_load_from_data(text, "/nonexistent/polygate.conf", &error);

		g_test_message("case %" G_GSIZE_FORMAT ": %s", i, c->transport_lines);
		if (c->problem == NULL) {
			g_assert_no_error(error);
			g_assert_nonnull(config);
			continue;
		}
		g_assert_null(config);
		g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
		if (strstr(error->message, c->problem) == NULL)
			g_error("'%s' does not say '%s'", error->message, c->problem);
	}
}

/* ---- sessions ---- */

static void
test_limits_links_per_user(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	PgSession *session = pg_session_ensure(fixture->manager, PG_TEST_USER, fixture->irc);
	GHashTableIter iter;
	gpointer value;
	PgLink *first;

	first = pg_limits_get_link(pg_test_limits(fixture), session, "a.example", &error);
	g_assert_no_error(error);
	g_assert_nonnull(pg_limits_get_link(pg_test_limits(fixture), session, "b.example", NULL));
	g_assert_nonnull(pg_limits_get_link(pg_test_limits(fixture), session, "c.example", NULL));
	/* the same server again is the same link, at the limit too */
	g_assert_true(pg_limits_get_link(pg_test_limits(fixture), session, "a.example", NULL) ==
		      first);
	/* links that are in use (a new one is offline until its first command
	 * connects it) are kept: a fourth server is refused */
	g_hash_table_iter_init(&iter, session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		((PgLink *)value)->state = PG_LINK_WAITING;
	g_assert_false(pg_limits_link_fits(pg_test_limits(fixture), session));
	g_assert_cmpuint(pg_limits_get_rejections(pg_test_limits(fixture),
						  pg_test_irc_config(fixture), PG_LIMIT_LINKS),
			 ==, 0);
	g_assert_null(pg_limits_get_link(pg_test_limits(fixture), session, "d.example", &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION);
	g_assert_nonnull(strstr(error->message, "max_links_per_user = 3"));
	g_assert_cmpuint(g_hash_table_size(session->links), ==, 3);
	g_assert_cmpuint(pg_limits_get_rejections(pg_test_limits(fixture),
						  pg_test_irc_config(fixture), PG_LIMIT_LINKS),
			 ==, 1);
	g_clear_error(&error);

	/* a server that failed, with no room and nothing queued, gives its slot up */
	first->state = PG_LINK_FAILED;
	g_assert_true(pg_limits_link_fits(pg_test_limits(fixture), session));
	g_assert_cmpuint(g_hash_table_size(session->links), ==, 3);
	g_assert_nonnull(pg_limits_get_link(pg_test_limits(fixture), session, "d.example", &error));
	g_assert_no_error(error);
	g_assert_false(g_hash_table_contains(session->links, "a.example"));
	g_assert_cmpuint(g_hash_table_size(session->links), ==, 3);
}

static void
test_limits_links_gateway(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	const gchar *users[] = {"a@example.org", "b@example.org"};

	/* two users with two links each: the gateway's four */
	for (gsize i = 0; i < G_N_ELEMENTS(users); i++) {
		PgSession *session = pg_session_ensure(fixture->manager, users[i], fixture->irc);
		g_assert_nonnull(pg_limits_get_link(pg_test_limits(fixture), session, "x", NULL));
		g_assert_nonnull(pg_limits_get_link(pg_test_limits(fixture), session, "y", NULL));
		((PgLink *)g_hash_table_lookup(session->links, "x"))->state = PG_LINK_CONNECTED;
		((PgLink *)g_hash_table_lookup(session->links, "y"))->state = PG_LINK_CONNECTED;
	}
	g_assert_null(pg_limits_get_link(pg_test_limits(fixture),
					 pg_session_ensure(fixture->manager, "c@example.org",
							   fixture->irc),
					 "x", &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT);
	g_assert_nonnull(strstr(error->message, "max_links = 4"));
	g_assert_cmpuint(pg_limits_get_rejections(pg_test_limits(fixture),
						  pg_test_irc_config(fixture),
						  PG_LIMIT_GATEWAY_LINKS),
			 ==, 1);
}

static void
test_limits_rooms(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	PgSession *session = pg_session_ensure(fixture->manager, PG_TEST_USER, fixture->irc);
	PgLink *a = pg_limits_get_link(pg_test_limits(fixture), session, "a.example", NULL);
	PgLink *b = pg_limits_get_link(pg_test_limits(fixture), session, "b.example", NULL);

	g_assert_true(pg_limits_allow_room(pg_test_limits(fixture), session, &error));
	pg_test_add_room(a, "#one");
	g_assert_true(pg_limits_allow_room(pg_test_limits(fixture), session, &error));
	/* rooms count over all the user's servers */
	pg_test_add_room(b, "#two");
	g_assert_false(pg_limits_allow_room(pg_test_limits(fixture), session, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION);
	g_assert_nonnull(strstr(error->message, "You are already in 2 rooms"));
	g_assert_nonnull(strstr(error->message, "max_rooms_per_user = 2"));
	g_clear_error(&error);
	/* a link with a room is never given up for a new server */
	a->state = PG_LINK_FAILED;
	b->state = PG_LINK_FAILED;
	pg_limits_get_link(pg_test_limits(fixture), session, "c.example", NULL)->state =
	    PG_LINK_CONNECTING;
	g_assert_null(pg_limits_get_link(pg_test_limits(fixture), session, "d.example", NULL));
	g_assert_true(g_hash_table_contains(session->links, "a.example"));
	g_assert_true(g_hash_table_contains(session->links, "b.example"));
}

static void
test_limits_queued_bytes(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	PgSession *session = pg_session_ensure(fixture->manager, PG_TEST_USER, fixture->irc);
	PgLink *a = pg_limits_get_link(pg_test_limits(fixture), session, "a.example", NULL);
	PgLink *b = pg_limits_get_link(pg_test_limits(fixture), session, "b.example", NULL);
	g_autoptr(PgIpcMessage) big = pg_test_room_message(a, 400);
	g_autoptr(PgIpcMessage) join = pg_ipc_message_new(
	    PG_IPC_CMD_JOIN_ROOM, 0, "account", g_variant_new_string(a->account), "room",
	    g_variant_new_string("#a"), "nick", g_variant_new_string("alice"), NULL);
	gsize size = pg_limits_message_size(big);

	/* the size is that of the serialised fields, body included */
	g_assert_cmpuint(size, >, 400);
	g_assert_cmpuint(size, <, 500);
	g_assert_true(pg_limits_allow_queue(pg_test_limits(fixture), a, big, &error));
	g_queue_push_tail(a->pending, pg_test_room_message(a, 400));
	g_assert_true(pg_limits_allow_queue(pg_test_limits(fixture), a, big, &error));
	/* what waits on every link of the user counts */
	g_queue_push_tail(b->pending, pg_test_room_message(b, 400));
	g_assert_false(pg_limits_allow_queue(pg_test_limits(fixture), a, big, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT);
	g_assert_nonnull(strstr(error->message, "max_queued_bytes_per_user = 1000"));
	g_clear_error(&error);
	/* joins are bounded by the rooms, not the bytes */
	g_assert_true(pg_limits_allow_queue(pg_test_limits(fixture), a, join, &error));
	g_assert_no_error(error);
}

static void
test_limits_sms(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	const gchar *body = "hello";
	gint64 now = PG_TEST_T0;

	/* 2 a minute, 3 a day: counted from the outbox rows of this user only */
	g_assert_cmpint(pg_sms_queue_enqueue(fixture->registry, PG_TEST_SMS, "bob@example.org",
					     "+4915100000001", (const guint8 *)body, 5, NULL,
					     FALSE, now, NULL),
			>, 0);
	for (guint i = 0; i < 2; i++) {
		g_assert_true(pg_limits_allow_sms(pg_test_limits(fixture), fixture->sms,
						  PG_TEST_USER, now, &error));
		g_assert_no_error(error);
		g_assert_cmpint(pg_sms_queue_enqueue(fixture->registry, PG_TEST_SMS, PG_TEST_USER,
						     "+4915100000001", (const guint8 *)body, 5,
						     NULL, FALSE, now, NULL),
				>, 0);
	}
	g_assert_false(
	    pg_limits_allow_sms(pg_test_limits(fixture), fixture->sms, PG_TEST_USER, now, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT);
	g_assert_nonnull(strstr(error->message, "max_sms_per_minute_per_user = 2"));
	g_clear_error(&error);

	/* a minute later the minute is free, the day has room for one */
	now += 60;
	g_assert_true(
	    pg_limits_allow_sms(pg_test_limits(fixture), fixture->sms, PG_TEST_USER, now, &error));
	g_assert_cmpint(pg_sms_queue_enqueue(fixture->registry, PG_TEST_SMS, PG_TEST_USER,
					     "+4915100000002", (const guint8 *)body, 5, NULL,
					     FALSE, now, NULL),
			>, 0);
	now += 60;
	g_assert_false(
	    pg_limits_allow_sms(pg_test_limits(fixture), fixture->sms, PG_TEST_USER, now, &error));
	g_assert_error(error, PG_ERROR, PG_ERROR_POLICY_VIOLATION);
	g_assert_nonnull(strstr(error->message, "max_sms_per_day_per_user = 3"));
	g_clear_error(&error);

	/* a day after the first ones, two are free again */
	now = PG_TEST_T0 + 24 * 3600;
	g_assert_true(
	    pg_limits_allow_sms(pg_test_limits(fixture), fixture->sms, PG_TEST_USER, now, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(pg_limits_get_rejections(pg_test_limits(fixture),
						  pg_transport_get_config(fixture->sms),
						  PG_LIMIT_SMS_PER_MINUTE),
			 ==, 1);
	g_assert_cmpuint(pg_limits_get_rejections(pg_test_limits(fixture),
						  pg_transport_get_config(fixture->sms),
						  PG_LIMIT_SMS_PER_DAY),
			 ==, 1);
}

static void
test_limits_metrics(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *text = NULL;

	g_assert_false(pg_limits_check(pg_test_limits(fixture), pg_test_irc_config(fixture),
				       PG_LIMIT_ROOMS, 2, 1, NULL));
	text = pg_session_manager_metrics(fixture->manager);
	g_assert_nonnull(strstr(text, "# TYPE polygate_limit_per_user gauge\n"));
	g_assert_nonnull(strstr(
	    text, "polygate_limit_per_user{transport=\"" PG_TEST_IRC "\",limit=\"links\"} 3\n"));
	g_assert_nonnull(strstr(
	    text, "polygate_limit_per_user{transport=\"" PG_TEST_IRC "\",limit=\"rooms\"} 2\n"));
	g_assert_nonnull(strstr(text, "polygate_limit_per_user{transport=\"" PG_TEST_SMS
				      "\",limit=\"sms_per_day\"} 3\n"));
	/* only what applies to the transport */
	g_assert_null(strstr(text, "{transport=\"" PG_TEST_SMS "\",limit=\"rooms\"}"));
	g_assert_null(strstr(text, "{transport=\"" PG_TEST_IRC "\",limit=\"sms_per_minute\"}"));
	g_assert_nonnull(strstr(text, "polygate_limit_gateway{limit=\"links\"} 4\n"));
	g_assert_nonnull(strstr(text, "# TYPE polygate_limit_rejections_total counter\n"));
	g_assert_nonnull(strstr(text, "polygate_limit_rejections_total{transport=\"" PG_TEST_IRC
				      "\",limit=\"rooms\"} 1\n"));
	g_assert_nonnull(strstr(text, "polygate_limit_rejections_total{transport=\"" PG_TEST_IRC
				      "\",limit=\"links\"} 0\n"));
}

/* Through the real stanza handlers (pg-session.c), with no worker.  The
 * servers are public address literals: the IRC gate (pg-irc-gate.c) decides
 * those at once, with no resolver to wait for. */
static void
test_limits_session_stanzas(PgTestFixture *fixture, gconstpointer user_data)
{
	g_autoptr(PgAccount) account = pg_account_new(PG_TEST_IRC, PG_TEST_USER, "alice");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *body = g_strnfill(400, 'x');
	PgSession *session;
	PgLink *link;
	PgRoom *room;

	pg_account_set_setting(account, "nick", "alice");
	g_assert_true(pg_registry_put_account(fixture->registry, account, NULL, &error));
	g_assert_no_error(error);
	pg_transport_set_send_func(fixture->irc, pg_test_sent_cb, fixture);

	pg_test_receive(fixture, "<presence from='" PG_TEST_USER "/phone' "
				 "to='#a%192.0.2.1@" PG_TEST_IRC "/alice'>"
				 "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
	pg_test_receive(fixture, "<presence from='" PG_TEST_USER "/phone' "
				 "to='#b%192.0.2.2@" PG_TEST_IRC "/alice'>"
				 "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
	g_assert_null(pg_test_last_error(fixture, "#b%192.0.2.2@" PG_TEST_IRC "/alice"));
	/* max_rooms_per_user = 2: an error presence from the third room */
	pg_test_receive(fixture, "<presence from='" PG_TEST_USER "/phone' "
				 "to='#c%192.0.2.3@" PG_TEST_IRC "/alice'>"
				 "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
	g_assert_cmpstr(pg_test_last_error(fixture, "#c%192.0.2.3@" PG_TEST_IRC "/alice"), ==,
			"policy-violation");
	session = pg_session_lookup(fixture->manager, PG_TEST_USER, fixture->irc);
	g_assert_nonnull(session);
	link = g_hash_table_lookup(session->links, "192.0.2.1");
	room = g_hash_table_lookup(link->rooms, "#a");
	g_assert_nonnull(room);

	/* max_queued_bytes_per_user = 1000: two lines of 400 wait with the two
	 * joins (not counted), the third is refused and leaves no id behind
	 * for an echo that will never come */
	for (guint i = 1; i <= 3; i++) {
		g_autofree gchar *xml = g_strdup_printf(
		    "<message from='" PG_TEST_USER "/phone' to='#a%%192.0.2.1@" PG_TEST_IRC "' "
		    "type='groupchat' id='m%u'><body>%s</body></message>",
		    i, body);
		pg_test_receive(fixture, xml);
	}
	g_assert_cmpstr(pg_test_last_error(fixture, "#a%192.0.2.1@" PG_TEST_IRC), ==,
			"resource-constraint");
	g_assert_cmpuint(g_queue_get_length(link->pending), ==, 3);
	g_assert_cmpuint(g_queue_get_length(room->echo_ids), ==, 2);
	g_assert_cmpstr(g_queue_peek_tail(room->echo_ids), ==, "m2");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define PG_TEST_ADD(path, func)                                                                    \
	g_test_add(path, PgTestFixture, NULL, pg_test_fixture_setup, func,                         \
		   pg_test_fixture_teardown)
	PG_TEST_ADD("/limits/check/table", test_limits_check_table);
	g_test_add_func("/limits/config/defaults", test_limits_config_defaults);
	g_test_add_func("/limits/config/validation", test_limits_config_validation);
	PG_TEST_ADD("/limits/links/per-user-with-idle-links-given-up", test_limits_links_per_user);
	PG_TEST_ADD("/limits/links/gateway-wide", test_limits_links_gateway);
	PG_TEST_ADD("/limits/rooms/over-all-servers", test_limits_rooms);
	PG_TEST_ADD("/limits/queue/bytes-over-all-links", test_limits_queued_bytes);
	PG_TEST_ADD("/limits/sms/minute-and-day-from-the-outbox", test_limits_sms);
	PG_TEST_ADD("/limits/metrics/values-and-rejections", test_limits_metrics);
	PG_TEST_ADD("/limits/session/errors-on-the-stanzas-that-hit-a-limit",
		    test_limits_session_stanzas);
	return g_test_run();
}
