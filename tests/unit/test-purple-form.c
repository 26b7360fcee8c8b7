/* Unit tests for the registration forms of purple transports: option typing
 * (core/pg-protocol-info.c), the protocol-info event (ipc/), the operator's
 * option keys (core/pg-config-options.c) and the form builder and its
 * validation (network/pg-purple-form.c).  Issue 9. */
#include "config.h"

#include <string.h>

#include "core/pg-config.h"
#include "core/pg-config-options.h"
#include "core/pg-error.h"
#include "core/pg-protocol-info.h"
#include "ipc/pg-ipc-protocol-info.h"
#include "network/pg-purple-form.h"
#include "stanza/pg-stanza.h"

/* What prpl-jabber 2.14 declares (a subset, enough for every type). */
static PgProtocolInfo *
pg_test_jabber(void)
{
	PgProtocolInfo *info = pg_protocol_info_new("prpl-jabber");
	PgProtocolOption *security;

	info->name = g_strdup("XMPP");
	info->file = g_strdup("/usr/lib/x86_64-linux-gnu/purple-2/libxmpp.so");
	info->password = PG_PROTOCOL_PASSWORD_OPTIONAL;
	security = pg_protocol_info_add_option(info, "connection_security",
					       PG_PROTOCOL_OPTION_LIST, "Connection security",
					       "require_tls", FALSE);
	pg_protocol_option_add_choice(security, "Require encryption", "require_tls");
	pg_protocol_option_add_choice(security, "Use encryption if available",
				      "opportunistic_tls");
	pg_protocol_info_add_option(info, "auth_plain_in_clear", PG_PROTOCOL_OPTION_BOOL,
				    "Allow plaintext auth over unencrypted streams", "false", FALSE);
	pg_protocol_info_add_option(info, "port", PG_PROTOCOL_OPTION_INT, "Connect port", "5222",
				    FALSE);
	pg_protocol_info_add_option(info, "connect_server", PG_PROTOCOL_OPTION_STRING,
				    "Connect server", "", FALSE);
	pg_protocol_info_add_option(info, "token", PG_PROTOCOL_OPTION_STRING, "Auth\ntoken", "",
				    FALSE);
	pg_protocol_info_add_split(info, "Domain", NULL, '@', FALSE);
	pg_protocol_info_add_split(info, "Resource", NULL, '/', FALSE);
	return info;
}

static PgConfig *
pg_test_config(const gchar *extra)
{
	g_autofree gchar *text = g_strdup_printf("[polygate]\ndatabase = r.db\nkey_file = r.key\n"
						 "[xmpp]\nhost = 127.0.0.1\nport = 5347\n"
						 "[http]\nport = 0\n"
						 "[transport xmpp]\njid = xmpp.example.org\n"
						 "secret = s3cret-s3cret\ntype = purple\n%s",
						 extra);
	g_autoptr(GError) error = NULL;
	PgConfig *config = pg_config_load_from_data(text, "/nonexistent/test.conf", &error);

	g_assert_no_error(error);
	return config;
}

static const PgTransportConfig *
pg_test_transport(const PgConfig *config)
{
	return g_ptr_array_index(config->transports, 0);
}

/* -- option typing -------------------------------------------------------- */

typedef struct {
	PgProtocolOptionType type;
	const gchar *value;
	const gchar *normalized; /* NULL: refused */
} PgTestTyping;

static void
test_option_typing_table(void)
{
	static const PgTestTyping cases[] = {
	    {.type = PG_PROTOCOL_OPTION_INT, .value = "5222", .normalized = "5222"},
	    {.type = PG_PROTOCOL_OPTION_INT, .value = "-1", .normalized = "-1"},
	    {.type = PG_PROTOCOL_OPTION_INT, .value = "2147483648", .normalized = NULL},
	    {.type = PG_PROTOCOL_OPTION_INT, .value = "12ab", .normalized = NULL},
	    {.type = PG_PROTOCOL_OPTION_INT, .value = " 1", .normalized = NULL},
	    {.type = PG_PROTOCOL_OPTION_BOOL, .value = "1", .normalized = "true"},
	    {.type = PG_PROTOCOL_OPTION_BOOL, .value = "false", .normalized = "false"},
	    {.type = PG_PROTOCOL_OPTION_BOOL, .value = "yes", .normalized = NULL},
	    {.type = PG_PROTOCOL_OPTION_LIST, .value = "b", .normalized = "b"},
	    {.type = PG_PROTOCOL_OPTION_LIST, .value = "B", .normalized = NULL},
	    {.type = PG_PROTOCOL_OPTION_STRING, .value = "x.example.net", .normalized = "x.example.net"},
	    {.type = PG_PROTOCOL_OPTION_STRING, .value = "a\nb", .normalized = NULL},
	    {.type = PG_PROTOCOL_OPTION_STRING, .value = "\xff", .normalized = NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(PgProtocolInfo) info = pg_protocol_info_new("prpl-test");
		PgProtocolOption *option =
		    pg_protocol_info_add_option(info, "x", cases[i].type, "X", NULL, FALSE);
		g_autoptr(GError) error = NULL;
		g_autofree gchar *normalized = NULL;

		pg_protocol_option_add_choice(option, "A", "a");
		pg_protocol_option_add_choice(option, "B", "b");
		normalized = pg_protocol_option_normalize(option, cases[i].value, &error);
		g_test_message("case %u", i);
		g_assert_cmpstr(normalized, ==, cases[i].normalized);
		if (cases[i].normalized == NULL)
			g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
	}
}

static void
test_option_secrets_are_masked_or_named_so(void)
{
	g_autoptr(PgProtocolInfo) info = pg_protocol_info_new("prpl-test");

	g_assert_true(pg_protocol_option_is_secret(pg_protocol_info_add_option(
	    info, "email_password", PG_PROTOCOL_OPTION_STRING, "E", NULL, FALSE)));
	g_assert_true(pg_protocol_option_is_secret(pg_protocol_info_add_option(
	    info, "personal_access_token", PG_PROTOCOL_OPTION_STRING, "T", NULL, FALSE)));
	g_assert_true(pg_protocol_option_is_secret(
	    pg_protocol_info_add_option(info, "x", PG_PROTOCOL_OPTION_STRING, "X", NULL, TRUE)));
	g_assert_false(pg_protocol_option_is_secret(pg_protocol_info_add_option(
	    info, "connect_server", PG_PROTOCOL_OPTION_STRING, "C", NULL, FALSE)));
}

static void
test_username_joins_and_cuts_like_pidgin(void)
{
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();
	const gchar *const splits[] = {"legacy.localhost", "", NULL};
	g_autofree gchar *joined = pg_protocol_info_join_username(info, "alice", splits);
	g_auto(GStrv) parts = NULL;

	/* Pidgin's account dialog adds every separator, even before nothing */
	g_assert_cmpstr(joined, ==, "alice@legacy.localhost/");
	parts = pg_protocol_info_split_username(info, "alice@legacy.localhost/phone");
	g_assert_cmpstr(parts[0], ==, "alice");
	g_assert_cmpstr(parts[1], ==, "legacy.localhost");
	g_assert_cmpstr(parts[2], ==, "phone");
	g_assert_null(parts[3]);
	g_assert_cmpstr(((PgProtocolSplit *)g_ptr_array_index(info->splits, 0))->name, ==,
			"split.domain");
}

/* -- the protocol-info event ---------------------------------------------- */

static void
test_protocol_info_round_trips_through_a_frame(void)
{
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();
	g_autoptr(PgIpcMessage) msg = pg_ipc_protocol_info_to_message(info, 7);
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(PgIpcMessage) back = NULL;
	g_autoptr(PgProtocolInfo) read = NULL;
	g_autoptr(GError) error = NULL;
	const PgProtocolOption *security;
	gsize size = 0;
	const guint8 *data;

	frame = pg_ipc_message_encode(msg, &error);
	g_assert_no_error(error);
	data = g_bytes_get_data(frame, &size);
	back = pg_ipc_message_decode(data + PG_IPC_FRAME_HEADER_SIZE,
				     size - PG_IPC_FRAME_HEADER_SIZE, PG_IPC_ROLE_DAEMON, &error);
	g_assert_no_error(error);
	g_assert_cmpint(back->kind, ==, PG_IPC_EVT_PROTOCOL_INFO);
	read = pg_ipc_protocol_info_from_message(back, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(read->id, ==, "prpl-jabber");
	g_assert_cmpstr(read->file, ==, info->file);
	g_assert_cmpint(read->password, ==, PG_PROTOCOL_PASSWORD_OPTIONAL);
	g_assert_cmpuint(read->options->len, ==, info->options->len);
	security = pg_protocol_info_find_option(read, "connection_security");
	g_assert_nonnull(security);
	g_assert_cmpint(security->type, ==, PG_PROTOCOL_OPTION_LIST);
	g_assert_cmpuint(security->choices->len, ==, 2);
	g_assert_cmpstr(security->default_value, ==, "require_tls");
	g_assert_nonnull(pg_protocol_info_find_split(read, "split.resource"));
}

static void
test_protocol_info_refuses_a_bad_description(void)
{
	static const gchar *const bad[] = {
	    /* a separator of two characters */
	    "{'protocol': <'p'>, 'name': <'P'>, 'file': <'/p.so'>, 'password': <'none'>, "
	    "'options': <@a(ssssba(ss)) []>, 'splits': <[('S', '', '@@', false)]>, "
	    "'chat_fields': <@a(ssbbiib) []>}",
	    /* an option of an unknown type */
	    "{'protocol': <'p'>, 'name': <'P'>, 'file': <'/p.so'>, 'password': <'none'>, "
	    "'options': <[('x', 'float', 'X', '', false, @a(ss) [])]>, "
	    "'splits': <@a(sssb) []>, 'chat_fields': <@a(ssbbiib) []>}",
	    /* a list without choices */
	    "{'protocol': <'p'>, 'name': <'P'>, 'file': <'/p.so'>, 'password': <'none'>, "
	    "'options': <[('x', 'list', 'X', '', false, @a(ss) [])]>, "
	    "'splits': <@a(sssb) []>, 'chat_fields': <@a(ssbbiib) []>}",
	    /* a relative plugin file */
	    "{'protocol': <'p'>, 'name': <'P'>, 'file': <'p.so'>, 'password': <'none'>, "
	    "'options': <@a(ssssba(ss)) []>, 'splits': <@a(sssb) []>, "
	    "'chat_fields': <@a(ssbbiib) []>}",
	    /* an unknown password flag */
	    "{'protocol': <'p'>, 'name': <'P'>, 'file': <'/p.so'>, 'password': <'maybe'>, "
	    "'options': <@a(ssssba(ss)) []>, 'splits': <@a(sssb) []>, "
	    "'chat_fields': <@a(ssbbiib) []>}",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		GVariant *fields = g_variant_parse(G_VARIANT_TYPE_VARDICT, bad[i], NULL, NULL, &error);
		g_autoptr(PgIpcMessage) msg = NULL;
		g_autoptr(PgProtocolInfo) info = NULL;

		g_assert_no_error(error);
		msg = pg_ipc_message_new_from_fields(PG_IPC_EVT_PROTOCOL_INFO, 1, fields);
		g_assert_true(pg_ipc_message_validate(msg, NULL));
		info = pg_ipc_protocol_info_from_message(msg, &error);
		g_test_message("case %u", i);
		g_assert_null(info);
		g_assert_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST);
	}
}

/* -- the operator's keys -------------------------------------------------- */

static void
test_config_option_keys_are_read_and_checked_against_the_plugin(void)
{
	g_autoptr(PgConfig) config =
	    pg_test_config("option.connect_server = legacy.localhost\n"
			   "option_default.port = 5223\n"
			   "option_hidden.auth_plain_in_clear = true\n"
			   "option.split.domain = legacy.localhost\n"
			   "option.no_such_thing = 1\n"
			   "option_default.connection_security = plaintext\n");
	const PgTransportConfig *transport = pg_test_transport(config);
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	const PgOptionOverride *server =
	    pg_config_options_find(transport->option_overrides, "connect_server");

	g_assert_nonnull(server);
	g_assert_cmpstr(server->fixed, ==, "legacy.localhost");
	g_assert_true(
	    pg_config_options_find(transport->option_overrides, "auth_plain_in_clear")->hidden);
	pg_config_options_check(transport->option_overrides, info, problems);
	g_assert_cmpuint(problems->len, ==, 2);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(problems, 0),
				       "option.no_such_thing: prpl-jabber has no option"));
	g_assert_true(g_str_has_prefix(g_ptr_array_index(problems, 1),
				       "option_default.connection_security: 'plaintext' is not"));
}

static void
test_config_option_keys_with_a_bad_shape_are_problems(void)
{
	static const gchar *const bad[] = {
	    "option_hidden.port = maybe\n",
	    "option.port = 1\noption_default.port = 2\n",
	    "option. = 1\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree gchar *text = g_strdup_printf(
		    "[polygate]\ndatabase = r.db\nkey_file = r.key\n[xmpp]\nhost = 127.0.0.1\n"
		    "port = 5347\n[http]\nport = 0\n[transport xmpp]\njid = x.example.org\n"
		    "secret = s3cret-s3cret\ntype = purple\n%s",
		    bad[i]);
		g_autoptr(GError) error = NULL;
		g_autoptr(PgConfig) config = pg_config_load_from_data(text, "/x/t.conf", &error);

		g_test_message("case %u: %s", i, bad[i]);
		g_assert_null(config);
		g_assert_error(error, PG_ERROR, PG_ERROR_CONFIG);
		g_assert_nonnull(strstr(error->message, "/x/t.conf: [transport xmpp] option"));
	}
}

/* -- the form ------------------------------------------------------------- */

/* var -> <field/> of the form that @info and @transport give @account */
static GHashTable *
pg_test_form_fields(xmpp_ctx_t *ctx, const PgProtocolInfo *info,
		    const PgTransportConfig *transport, const PgAccount *account,
		    xmpp_stanza_t **keep)
{
	g_autoptr(PgForm) form = pg_form_new("form", PG_NS_REGISTER, "t", "i");
	g_autofree gchar *username = NULL;
	GHashTable *fields = g_hash_table_new(g_str_hash, g_str_equal);

	pg_purple_form_add_fields(form, info, transport, account, &username);
	*keep = pg_form_to_stanza(form, ctx);
	for (xmpp_stanza_t *field = xmpp_stanza_get_children(*keep); field != NULL;
	     field = xmpp_stanza_get_next(field)) {
		if (g_strcmp0(xmpp_stanza_get_name(field), "field") == 0)
			g_hash_table_insert(fields, (gpointer)xmpp_stanza_get_attribute(field, "var"),
					    field);
	}
	return fields;
}

static gchar *
pg_test_value(xmpp_stanza_t *field)
{
	xmpp_stanza_t *value = xmpp_stanza_get_child_by_name(field, "value");
	return value != NULL ? xmpp_stanza_get_text(value) : NULL;
}

static void
test_form_types_labels_and_defaults_come_from_the_plugin(void)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	g_autoptr(PgConfig) config = pg_test_config("");
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();
	xmpp_stanza_t *x = NULL;
	g_autoptr(GHashTable) fields =
	    pg_test_form_fields(ctx, info, pg_test_transport(config), NULL, &x);
	xmpp_stanza_t *port = g_hash_table_lookup(fields, "option.port");
	xmpp_stanza_t *security = g_hash_table_lookup(fields, "option.connection_security");
	xmpp_stanza_t *plain = g_hash_table_lookup(fields, "option.auth_plain_in_clear");
	xmpp_stanza_t *token = g_hash_table_lookup(fields, "option.token");
	xmpp_stanza_t *validate;
	g_autofree gchar *port_value = NULL;
	g_autofree gchar *plain_value = NULL;
	g_autofree gchar *security_value = NULL;

	g_assert_nonnull(g_hash_table_lookup(fields, "username"));
	g_assert_nonnull(g_hash_table_lookup(fields, "split.domain"));
	g_assert_nonnull(g_hash_table_lookup(fields, "split.resource"));
	g_assert_null(xmpp_stanza_get_child_by_name(g_hash_table_lookup(fields, "password"),
						    "required"));
	g_assert_cmpstr(xmpp_stanza_get_attribute(port, "type"), ==, "text-single");
	validate = xmpp_stanza_get_child_by_name(port, "validate");
	g_assert_nonnull(validate);
	g_assert_cmpstr(xmpp_stanza_get_ns(validate), ==, PG_NS_DATA_VALIDATE);
	g_assert_cmpstr(xmpp_stanza_get_attribute(validate, "datatype"), ==, "xs:integer");
	port_value = pg_test_value(port);
	g_assert_cmpstr(port_value, ==, "5222");
	g_assert_cmpstr(xmpp_stanza_get_attribute(port, "label"), ==, "Connect port");
	g_assert_cmpstr(xmpp_stanza_get_attribute(plain, "type"), ==, "boolean");
	plain_value = pg_test_value(plain);
	g_assert_cmpstr(plain_value, ==, "0");
	g_assert_cmpstr(xmpp_stanza_get_attribute(security, "type"), ==, "list-single");
	security_value = pg_test_value(security);
	g_assert_cmpstr(security_value, ==, "require_tls");
	g_assert_cmpstr(xmpp_stanza_get_attribute(token, "type"), ==, "text-private");
	g_assert_cmpstr(xmpp_stanza_get_attribute(token, "label"), ==, "Auth token");
	xmpp_stanza_release(x);
	xmpp_ctx_free(ctx);
}

static void
test_form_leaves_out_fixed_and_hidden_options_and_shows_operator_defaults(void)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	g_autoptr(PgConfig) config = pg_test_config("option.connect_server = legacy.localhost\n"
						    "option_hidden.auth_plain_in_clear = true\n"
						    "option_default.port = 5223\n"
						    "option.split.domain = legacy.localhost\n");
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();
	xmpp_stanza_t *x = NULL;
	g_autoptr(GHashTable) fields =
	    pg_test_form_fields(ctx, info, pg_test_transport(config), NULL, &x);
	g_autofree gchar *port = pg_test_value(g_hash_table_lookup(fields, "option.port"));

	g_assert_false(g_hash_table_contains(fields, "option.connect_server"));
	g_assert_false(g_hash_table_contains(fields, "option.auth_plain_in_clear"));
	g_assert_false(g_hash_table_contains(fields, "split.domain"));
	g_assert_cmpstr(port, ==, "5223");
	xmpp_stanza_release(x);
	xmpp_ctx_free(ctx);
}

static GHashTable *
pg_test_values(const gchar *first, ...)
{
	GHashTable *values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	va_list args;

	va_start(args, first);
	for (const gchar *var = first; var != NULL; var = va_arg(args, const gchar *))
		g_hash_table_insert(values, g_strdup(var), g_strdup(va_arg(args, const gchar *)));
	va_end(args);
	return values;
}

typedef struct {
	const gchar *var;
	const gchar *value;
} PgTestBadValue;

static void
test_submitted_values_are_checked_by_type(void)
{
	static const PgTestBadValue cases[] = {
	    {.var = "option.port", .value = "five"},
	    {.var = "option.port", .value = "99999999999"},
	    {.var = "option.auth_plain_in_clear", .value = "maybe"},
	    {.var = "option.connection_security", .value = "plaintext"},
	    {.var = "option.connect_server", .value = "a\rb"},
	    {.var = "split.domain", .value = "x\ny"},
	};
	g_autoptr(PgConfig) config = pg_test_config("");
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GHashTable) values =
		    pg_test_values("username", "alice", cases[i].var, cases[i].value, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(PgAccount) account =
		    pg_purple_form_build_account(info, pg_test_transport(config), "x.example.org",
						 "u@example.org", values, &error);

		g_test_message("case %u: %s", i, cases[i].var);
		g_assert_null(account);
		g_assert_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE);
	}
}

static void
test_a_submitted_form_is_stored_typed_and_secrets_sealed(void)
{
	g_autoptr(PgConfig) config = pg_test_config("option.connect_server = legacy.localhost\n");
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();
	g_autoptr(GHashTable) values = pg_test_values(
	    "username", "alice", "split.domain", "legacy.localhost", "password", "pw",
	    "option.port", "5223", "option.auth_plain_in_clear", "1", "option.token", "t0k3n",
	    /* fixed by the operator: ignored, not an error */
	    "option.connect_server", "evil.example", "option.unknown", "x", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) account =
	    pg_purple_form_build_account(info, pg_test_transport(config), "x.example.org",
					 "u@example.org", values, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(account->legacy_id, ==, "alice@legacy.localhost/");
	g_assert_cmpstr(pg_account_get_setting(account, "option.port"), ==, "5223");
	g_assert_cmpstr(pg_account_get_setting(account, "option.auth_plain_in_clear"), ==, "true");
	g_assert_null(pg_account_get_setting(account, "option.connect_server"));
	g_assert_null(pg_account_get_setting(account, "option.unknown"));
	g_assert_null(pg_account_get_setting(account, "option.token"));
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(account, "option.token")), ==,
			"t0k3n");
	g_assert_cmpstr(pg_secret_get_string(pg_account_get_secret(account, "password")), ==,
			"pw");
}

static void
test_a_legacy_registration_names_the_whole_account(void)
{
	g_autoptr(PgConfig) config = pg_test_config("");
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();
	g_autoptr(GHashTable) values =
	    pg_test_values("username", "bob@legacy.localhost", "password", "pw", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(PgAccount) account =
	    pg_purple_form_build_account(info, pg_test_transport(config), "x.example.org",
					 "u@example.org", values, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(account->legacy_id, ==, "bob@legacy.localhost/");
}

static void
test_login_options_fixed_win_and_hidden_take_the_operators_default(void)
{
	g_autoptr(PgConfig) config = pg_test_config("option.connect_server = legacy.localhost\n"
						    "option_hidden.auth_plain_in_clear = true\n"
						    "option_default.auth_plain_in_clear = true\n");
	g_autoptr(PgProtocolInfo) info = pg_test_jabber();
	g_autoptr(PgAccount) account = pg_account_new("x.example.org", "u@example.org", "a@b/");
	g_autoptr(GVariantBuilder) builder = g_variant_builder_new(G_VARIANT_TYPE("a{ss}"));
	g_autoptr(GVariant) options = NULL;
	const gchar *value = NULL;

	pg_account_set_setting(account, "option.port", "5223");
	/* stored before the operator fixed it: not the user's any more */
	pg_account_set_setting(account, "option.connect_server", "evil.example");
	pg_account_set_secret(account, "option.token", pg_secret_new_from_string("t0k3n"));
	pg_purple_form_add_login_options(info, pg_test_transport(config), account, builder);
	options = g_variant_ref_sink(g_variant_builder_end(builder));
	g_assert_cmpuint(g_variant_n_children(options), ==, 4);
	g_assert_true(g_variant_lookup(options, "port", "&s", &value));
	g_assert_cmpstr(value, ==, "5223");
	g_assert_true(g_variant_lookup(options, "connect_server", "&s", &value));
	g_assert_cmpstr(value, ==, "legacy.localhost");
	g_assert_true(g_variant_lookup(options, "auth_plain_in_clear", "&s", &value));
	g_assert_cmpstr(value, ==, "true");
	g_assert_true(g_variant_lookup(options, "token", "&s", &value));
	g_assert_cmpstr(value, ==, "t0k3n");
}

static void
test_options_that_run_a_program_are_offered_only_by_the_operator(void)
{
	g_autoptr(PgConfig) config = pg_test_config("purple_protocol = prpl-zephyr\n");
	g_autoptr(PgConfig) opened =
	    pg_test_config("purple_protocol = prpl-zephyr\noption_hidden.tzc_command = false\n");
	g_autoptr(PgProtocolInfo) info = pg_protocol_info_new("prpl-zephyr");
	g_autoptr(PgAccount) account = pg_account_new("x.example.org", "u@example.org", "u");
	g_autoptr(GVariantBuilder) builder = g_variant_builder_new(G_VARIANT_TYPE("a{ss}"));
	g_autoptr(GVariant) options = NULL;
	g_autoptr(GHashTable) values = NULL;
	g_autoptr(PgAccount) stored = NULL;
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *x = NULL;
	xmpp_stanza_t *y = NULL;
	g_autoptr(GHashTable) fields = NULL;
	g_autoptr(GHashTable) opened_fields = NULL;

	info->password = PG_PROTOCOL_PASSWORD_NONE;
	pg_protocol_info_add_option(info, "tzc_command", PG_PROTOCOL_OPTION_STRING, "tzc command",
				    "/usr/bin/tzc -e %s", FALSE);
	pg_protocol_info_add_option(info, "realm", PG_PROTOCOL_OPTION_STRING, "Realm", "", FALSE);
	fields = pg_test_form_fields(ctx, info, pg_test_transport(config), NULL, &x);
	g_assert_false(g_hash_table_contains(fields, "option.tzc_command"));
	g_assert_true(g_hash_table_contains(fields, "option.realm"));
	opened_fields = pg_test_form_fields(ctx, info, pg_test_transport(opened), NULL, &y);
	g_assert_true(g_hash_table_contains(opened_fields, "option.tzc_command"));
	/* neither a submitted nor an old stored value reaches the login */
	values = pg_test_values("username", "u", "option.tzc_command", "/bin/sh -c x", NULL);
	stored = pg_purple_form_build_account(info, pg_test_transport(config), "x.example.org",
					      "u@example.org", values, NULL);
	g_assert_nonnull(stored);
	g_assert_null(pg_account_get_setting(stored, "option.tzc_command"));
	pg_account_set_setting(account, "option.tzc_command", "/bin/sh -c x");
	pg_purple_form_add_login_options(info, pg_test_transport(config), account, builder);
	options = g_variant_ref_sink(g_variant_builder_end(builder));
	g_assert_cmpuint(g_variant_n_children(options), ==, 0);
	xmpp_stanza_release(x);
	xmpp_stanza_release(y);
	xmpp_ctx_free(ctx);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_bug_base("issue ");
	g_test_add_func("/purple-form/option/typing-table", test_option_typing_table);
	g_test_add_func("/purple-form/option/secrets-are-masked-or-named-so",
			test_option_secrets_are_masked_or_named_so);
	g_test_add_func("/purple-form/username/joins-and-cuts-like-pidgin",
			test_username_joins_and_cuts_like_pidgin);
	g_test_add_func("/purple-form/ipc/round-trips-through-a-frame",
			test_protocol_info_round_trips_through_a_frame);
	g_test_add_func("/purple-form/ipc/refuses-a-bad-description",
			test_protocol_info_refuses_a_bad_description);
	g_test_add_func("/purple-form/config/keys-are-checked-against-the-plugin",
			test_config_option_keys_are_read_and_checked_against_the_plugin);
	g_test_add_func("/purple-form/config/keys-with-a-bad-shape-are-problems",
			test_config_option_keys_with_a_bad_shape_are_problems);
	g_test_add_func("/purple-form/form/types-labels-and-defaults-come-from-the-plugin",
			test_form_types_labels_and_defaults_come_from_the_plugin);
	g_test_add_func("/purple-form/form/fixed-and-hidden-are-left-out",
			test_form_leaves_out_fixed_and_hidden_options_and_shows_operator_defaults);
	g_test_add_func("/purple-form/submit/values-are-checked-by-type",
			test_submitted_values_are_checked_by_type);
	g_test_add_func("/purple-form/submit/stored-typed-and-secrets-sealed",
			test_a_submitted_form_is_stored_typed_and_secrets_sealed);
	g_test_add_func("/purple-form/submit/legacy-names-the-whole-account",
			test_a_legacy_registration_names_the_whole_account);
	g_test_add_func("/purple-form/login/fixed-win-hidden-take-the-default",
			test_login_options_fixed_win_and_hidden_take_the_operators_default);
	g_test_add_func("/purple-form/form/programs-are-offered-only-by-the-operator",
			test_options_that_run_a_program_are_offered_only_by_the_operator);
	return g_test_run();
}
