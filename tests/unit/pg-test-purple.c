/* See pg-test-purple.h. */
#include "config.h"

#include <glib/gstdio.h>

#include "registry/pg-account.h"
#include "session/pg-link.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

#include "pg-test-purple.h"

static const guint8 pg_test_key[PG_VAULT_KEY_LEN] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

static const gchar pg_test_config[] = "[polygate]\n"
				      "database = registry.db\n"
				      "key_file = registry.key\n"
				      "\n"
				      "[http]\n"
				      "port = 0\n"
				      "\n"
				      "[transport purple]\n"
				      "jid = " PG_TEST_PURPLE "\n"
				      "secret = s3cret\n"
				      "type = purple\n";

static void
pg_test_stanza_release(gpointer stanza)
{
	xmpp_stanza_release(stanza);
}

static void
pg_test_sent_cb(PgTransport *transport, xmpp_stanza_t *stanza, gpointer user_data)
{
	PgTestFixture *fixture = user_data;
	g_ptr_array_add(fixture->sent, xmpp_stanza_clone(stanza));
}

void
pg_test_receive(PgTestFixture *fixture, const gchar *xml)
{
	xmpp_stanza_t *stanza = xmpp_stanza_new_from_string(fixture->ctx, xml);

	g_assert_nonnull(stanza);
	pg_transport_receive(fixture->purple, stanza);
	xmpp_stanza_release(stanza);
}

void
pg_test_purple_setup(PgTestFixture *fixture, const gchar *transport_extra)
{
	g_autofree gchar *config_text = g_strconcat(pg_test_config, transport_extra, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *db_path = NULL;
	g_autoptr(PgAccount) account = NULL;
	PgSession *session;

	fixture->dir = g_dir_make_tmp("polygate-test-session-XXXXXX", &error);
	g_assert_no_error(error);
	config_path = g_build_filename(fixture->dir, "polygate.conf", NULL);
	fixture->config = pg_config_load_from_data(config_text, config_path, &error);
	g_assert_no_error(error);
	db_path = g_build_filename(fixture->dir, "registry.db", NULL);
	fixture->vault = pg_vault_new_for_test(1, pg_test_key);
	fixture->registry = pg_registry_open(db_path, fixture->vault, &error);
	g_assert_no_error(error);
	fixture->info = pg_protocol_info_new("prpl-test");
	fixture->info->typing = TRUE;
	((PgTransportConfig *)g_ptr_array_index(fixture->config->transports, 0))->protocol_info =
	    fixture->info;
	fixture->purple =
	    pg_transport_new(fixture->config, g_ptr_array_index(fixture->config->transports, 0),
			     fixture->registry);
	fixture->manager = pg_session_manager_new(fixture->config, "/nonexistent/polygate-purple");
	pg_session_manager_add_transport(fixture->manager, fixture->purple);
	/* no worker: the link stays logging in */
	pg_supervisor_hold_logins(fixture->manager->supervisor, TRUE);
	fixture->ctx = pg_stanza_ctx_new();
	fixture->sent = g_ptr_array_new_with_free_func(pg_test_stanza_release);
	pg_transport_set_send_func(fixture->purple, pg_test_sent_cb, fixture);

	account = pg_account_new(PG_TEST_PURPLE, PG_TEST_USER, "alice@legacy.example.net");
	g_assert_true(pg_registry_put_account(fixture->registry, account, NULL, &error));
	g_assert_no_error(error);
	pg_test_receive(fixture,
			"<presence from='" PG_TEST_USER "/phone' to='" PG_TEST_PURPLE "'/>");
	session = pg_session_lookup(fixture->manager, PG_TEST_USER, fixture->purple);
	g_assert_nonnull(session);
	fixture->link = g_hash_table_lookup(session->links, "");
	g_assert_nonnull(fixture->link);
	g_assert_cmpint(fixture->link->state, ==, PG_LINK_CONNECTING);
	g_assert_cmpuint(fixture->link->login_timeout_id, !=, 0);
	g_ptr_array_set_size(fixture->sent, 0);
}

void
pg_test_purple_teardown(PgTestFixture *fixture)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	const gchar *name;

	g_clear_pointer(&fixture->manager, pg_session_manager_free);
	g_clear_pointer(&fixture->sent, g_ptr_array_unref);
	g_clear_pointer(&fixture->purple, pg_transport_free);
	g_clear_pointer(&fixture->registry, pg_registry_free);
	g_clear_pointer(&fixture->vault, pg_vault_free);
	g_clear_pointer(&fixture->config, pg_config_free);
	g_clear_pointer(&fixture->info, pg_protocol_info_free);
	g_clear_pointer(&fixture->ctx, xmpp_ctx_free);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(fixture->dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(fixture->dir);
	g_free(fixture->dir);
}

