/* [transport NAME] groups: their keys, the irc-, sms- and purple-only ones,
 * and the checks across transports (pg-config-transport-private.h).
 *
 * DESIGN: as in pg-config.c, every accepted key is listed in one table and
 * every problem is collected.  The component secret and the Kannel password
 * and token are read into PgSecrets and never logged or quoted.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "core/pg-config-transport-private.h"
#include "core/pg-config-options.h"

static const gchar *const pg_config_transport_keys[] = {
    "jid",      "secret",   "secret_file", "type",
    "name",     "allowed_domains",         "irc_server",
    "irc_port", "irc_tls",  "irc_throttle_burst", "irc_throttle_interval",
    "purple_protocol",
    "kannel_sendsms_url", "kannel_username", "kannel_password", "kannel_password_file",
    "kannel_token", "kannel_token_file", "kannel_smsc", "sms_retry_max_age", "sms_dlr",
    "max_links_per_user", "max_rooms_per_user", "max_queued_bytes_per_user",
    "max_lines_per_message",
    "max_sms_per_minute_per_user", "max_sms_per_day_per_user", "max_contacts_per_user",
    "max_avatar_bytes_per_user",
    "irc_allow", "irc_deny", "irc_user_ports", "link_give_up_after", "link_login_timeout", "irc_charset", "prompt_timeout", NULL};

static const gchar *const pg_config_irc_only_keys[] = {"irc_port", "irc_tls", "irc_throttle_burst",
							"irc_throttle_interval", "max_links_per_user",
							"max_rooms_per_user", "irc_allow", "irc_deny",
							"irc_charset", "max_lines_per_message",
							"irc_user_ports"};
static const gchar *const pg_config_sms_only_keys[] = {
    "kannel_sendsms_url", "kannel_username", "kannel_password", "kannel_password_file",
    "kannel_token", "kannel_token_file", "kannel_smsc", "sms_retry_max_age", "sms_dlr",
    "max_sms_per_minute_per_user", "max_sms_per_day_per_user"};

#define PG_CONFIG_DEFAULT_KANNEL_SENDSMS_URL "http://127.0.0.1:13013/cgi-bin/sendsms"
#define PG_CONFIG_DEFAULT_SMS_RETRY_MAX_AGE  3600
#define PG_CONFIG_DEFAULT_MAX_LINKS_PER_USER 5
#define PG_CONFIG_DEFAULT_LINK_GIVE_UP_AFTER 3
#define PG_CONFIG_DEFAULT_LINK_LOGIN_TIMEOUT 120
#define PG_CONFIG_DEFAULT_PROMPT_TIMEOUT     120
#define PG_CONFIG_DEFAULT_MAX_ROOMS_PER_USER 100
#define PG_CONFIG_DEFAULT_MAX_LINES_PER_MESSAGE 20
#define PG_CONFIG_DEFAULT_MAX_CONTACTS_PER_USER 5000
#define PG_CONFIG_DEFAULT_MAX_AVATAR_BYTES_PER_USER (8 * 1024 * 1024)
#define PG_CONFIG_DEFAULT_MAX_QUEUED_BYTES_PER_USER (256 * 1024)
#define PG_CONFIG_DEFAULT_MAX_SMS_PER_MINUTE 10
#define PG_CONFIG_DEFAULT_MAX_SMS_PER_DAY    200
/* A token is compared against every request's token= and must not be
 * guessable: 16 characters of [A-Za-z0-9] carry 95 bits, `openssl rand
 * -hex 16` gives 32 hex digits (128 bits). */
#define PG_CONFIG_MIN_KANNEL_TOKEN_LEN 16

void
pg_transport_config_free(PgTransportConfig *transport)
{
	if (transport == NULL)
		return;
	g_free(transport->name);
	g_free(transport->jid);
	pg_secret_free(transport->secret);
	g_free(transport->display_name);
	g_strfreev(transport->allowed_domains);
	g_free(transport->irc_server);
	g_free(transport->irc_charset);
	pg_history_config_free(transport->history);
	g_free(transport->purple_protocol);
	if (transport->option_overrides != NULL)
		g_ptr_array_unref(transport->option_overrides);
	g_free(transport->kannel_sendsms_url);
	g_free(transport->kannel_username);
	pg_secret_free(transport->kannel_password);
	pg_secret_free(transport->kannel_token);
	g_free(transport->kannel_smsc);
	pg_net_policy_free(transport->irc_policy);
	pg_net_ports_free(transport->irc_user_ports);
	g_free(transport);
}

const gchar *
pg_transport_type_to_string(PgTransportType type)
{
	switch (type) {
	case PG_TRANSPORT_TYPE_IRC:
		return "irc";
	case PG_TRANSPORT_TYPE_SMS:
		return "sms";
	case PG_TRANSPORT_TYPE_PURPLE:
		return "purple";
	default:
		return "unknown";
	}
}

gboolean
pg_transport_type_from_string(const gchar *text, PgTransportType *type)
{
	for (PgTransportType t = PG_TRANSPORT_TYPE_IRC; t <= PG_TRANSPORT_TYPE_PURPLE; t++) {
		if (g_strcmp0(text, pg_transport_type_to_string(t)) == 0) {
			*type = t;
			return TRUE;
		}
	}
	return FALSE;
}

const gchar *
pg_transport_config_get_purple_protocol(const PgTransportConfig *transport)
{
	if (transport->type != PG_TRANSPORT_TYPE_PURPLE)
		return NULL;
	return transport->purple_protocol != NULL ? transport->purple_protocol : "prpl-jabber";
}

static gboolean
pg_config_transport_is_parsed_key(const gchar *key)
{
	/* option.* keys are checked by pg-config-options.c, history* keys by
	 * pg-config-history.c */
	return pg_config_options_is_key(key) || pg_config_history_is_key(key);
}

/* option.NAME and the like (pg-config-options.h); whether the type allows
 * them is checked once the type is known. */
static void
pg_config_load_option_overrides(PgConfigLoader *loader, const gchar *group,
				PgTransportConfig *transport)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

	transport->option_overrides = pg_config_options_parse(loader->keyfile, group, problems);
	transport->history = pg_config_history_parse(loader->keyfile, group, problems);
	for (guint i = 0; i < problems->len; i++)
		pg_config_problem(loader, group, NULL, "%s",
				  (const gchar *)g_ptr_array_index(problems, i));
}

static void
pg_config_load_sms(PgConfigLoader *loader, const gchar *group, PgTransportConfig *transport,
		   gboolean *inline_secret)
{
	g_autofree gchar *url = NULL;

	if (transport->type != PG_TRANSPORT_TYPE_SMS) {
		for (gsize i = 0; i < G_N_ELEMENTS(pg_config_sms_only_keys); i++) {
			if (g_key_file_has_key(loader->keyfile, group, pg_config_sms_only_keys[i],
					       NULL))
				pg_config_problem(loader, group, pg_config_sms_only_keys[i],
						  "only valid with type = sms");
		}
		return;
	}

	url = pg_config_get_string(loader, group, "kannel_sendsms_url", FALSE);
	if (url == NULL)
		url = g_strdup(PG_CONFIG_DEFAULT_KANNEL_SENDSMS_URL);
	if (!g_uri_is_valid(url, G_URI_FLAGS_NONE, NULL) ||
	    (g_ascii_strncasecmp(url, "http://", 7) != 0 &&
	     g_ascii_strncasecmp(url, "https://", 8) != 0) ||
	    strchr(url, '?') != NULL)
		pg_config_problem(loader, group, "kannel_sendsms_url",
				  "'%s' is not an http:// or https:// URL without a query "
				  "(expected e.g. %s)",
				  url, PG_CONFIG_DEFAULT_KANNEL_SENDSMS_URL);
	else
		transport->kannel_sendsms_url = g_steal_pointer(&url);

	transport->kannel_username = pg_config_get_string(loader, group, "kannel_username", FALSE);
	transport->kannel_password =
	    pg_config_get_secret(loader, group, "kannel_password", "kannel_password_file", NULL,
				 inline_secret);
	/* Kannel's sendsms-user always has both */
	if (transport->kannel_username != NULL && transport->kannel_password == NULL &&
	    !g_key_file_has_key(loader->keyfile, group, "kannel_password", NULL) &&
	    !g_key_file_has_key(loader->keyfile, group, "kannel_password_file", NULL))
		pg_config_problem(loader, group, "kannel_password",
				  "missing: kannel_username needs kannel_password or "
				  "kannel_password_file");
	if (transport->kannel_password != NULL && transport->kannel_username == NULL &&
	    !g_key_file_has_key(loader->keyfile, group, "kannel_username", NULL))
		pg_config_problem(loader, group, "kannel_username",
				  "missing: a Kannel password needs kannel_username");

	/* whether it is required depends on [http] port: checked once all is read */
	transport->kannel_token = pg_config_get_secret(loader, group, "kannel_token",
						       "kannel_token_file", NULL, inline_secret);
	if (transport->kannel_token != NULL) {
		const gchar *key = g_key_file_has_key(loader->keyfile, group, "kannel_token", NULL)
				       ? "kannel_token"
				       : "kannel_token_file";
		/* never quote the value: it is a secret */
		if (!pg_config_is_url_safe(transport->kannel_token))
			pg_config_problem(loader, group, key,
					  "may hold only letters, digits, '-', '.', '_' and '~' "
					  "(it is copied into Kannel's URLs as it is)");
		else if (transport->kannel_token->len < PG_CONFIG_MIN_KANNEL_TOKEN_LEN)
			pg_config_problem(loader, group, key,
					  "too short (%" G_GSIZE_FORMAT " characters); use at "
					  "least %d, e.g. the output of: openssl rand -hex 16",
					  transport->kannel_token->len,
					  PG_CONFIG_MIN_KANNEL_TOKEN_LEN);
	}

	transport->kannel_smsc = pg_config_get_string(loader, group, "kannel_smsc", FALSE);
	transport->sms_retry_max_age = pg_config_get_uint(
	    loader, group, "sms_retry_max_age", 10, 7 * 24 * 3600, PG_CONFIG_DEFAULT_SMS_RETRY_MAX_AGE);
	transport->sms_dlr = pg_config_get_bool(loader, group, "sms_dlr", TRUE);
	transport->max_sms_per_minute_per_user =
	    pg_config_get_uint(loader, group, "max_sms_per_minute_per_user", 0, 100000,
			       PG_CONFIG_DEFAULT_MAX_SMS_PER_MINUTE);
	transport->max_sms_per_day_per_user =
	    pg_config_get_uint(loader, group, "max_sms_per_day_per_user", 0, 10000000,
			       PG_CONFIG_DEFAULT_MAX_SMS_PER_DAY);
}

static gchar **
pg_config_default_allowed_domains(const gchar *jid)
{
	/* irc.example.org serves example.org by default; a top-level component
	 * name (e.g. "gateway") has no parent, so it serves its own domain. */
	const gchar *dot = strchr(jid, '.');
	gchar **domains = g_new0(gchar *, 2);
	domains[0] = g_strdup(dot != NULL && dot[1] != '\0' ? dot + 1 : jid);
	return domains;
}

/* irc_charset: how prpl-irc reads a line that is not UTF-8 (its "encoding"
 * option, src/session/pg-session.c).  Only a charset that keeps ASCII as it
 * is will do (the rule src/stanza/pg-text.c applies to its own fallback):
 * IRC's commands and separators are ASCII, and a line read in anything else
 * would be nonsense.  Multi-byte ones (EUC-JP, GBK) are fine for prpl-irc. */
static gchar *
pg_config_load_irc_charset(PgConfigLoader *loader, const gchar *group)
{
	g_autofree gchar *charset = pg_config_get_string(loader, group, "irc_charset", FALSE);
	gchar ascii[0x7f];
	g_autofree gchar *decoded = NULL;
	gsize written = 0;

	if (charset == NULL)
		return g_strdup("WINDOWS-1252");
	for (guint i = 1; i < 0x80; i++)
		ascii[i - 1] = (gchar)i;
	if (strchr(charset, ',') == NULL)
		decoded = g_convert(ascii, sizeof(ascii), "UTF-8", charset, NULL, &written, NULL);
	if (decoded == NULL || written != sizeof(ascii) ||
	    memcmp(decoded, ascii, sizeof(ascii)) != 0) {
		pg_config_problem(loader, group, "irc_charset",
				  "'%s' is not a charset that iconv knows and that keeps ASCII "
				  "(e.g. WINDOWS-1252, ISO-8859-15, KOI8-R, EUC-JP)",
				  charset);
		return NULL;
	}
	return g_steal_pointer(&charset);
}

/* irc_allow and irc_deny: lists of pg-netpolicy.h entries. */
static PgNetPolicy *
pg_config_load_irc_policy(PgConfigLoader *loader, const gchar *group)
{
	static const gchar *const keys[] = {"irc_allow", "irc_deny"};
	PgNetPolicy *policy = pg_net_policy_new();

	for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
		g_auto(GStrv) entries = NULL;
		gsize n = 0;
		guint used = 0;

		if (!g_key_file_has_key(loader->keyfile, group, keys[k], NULL))
			continue;
		entries = g_key_file_get_string_list(loader->keyfile, group, keys[k], &n, NULL);
		for (gsize i = 0; i < n; i++) {
			g_autoptr(GError) error = NULL;
			if (g_strstrip(entries[i])[0] == '\0')
				continue;
			if (!pg_net_policy_add(policy, k == 0, entries[i], &error))
				pg_config_problem(loader, group, keys[k], "%s", error->message);
			used++;
		}
		if (used == 0)
			pg_config_problem(loader, group, keys[k], "needs at least one entry");
	}
	return policy;
}

/* irc_user_ports: the ports a user may set for a server in its configure
 * form (pg-netpolicy.h).  The default is the ports IRC networks listen on
 * (6665-6669 plain, 6697 TLS per RFC 7194, 7000, 7070, 9999), so a user
 * cannot point the gateway at a mail or web port of an allowed host. */
#define PG_CONFIG_DEFAULT_IRC_USER_PORTS "6665-6669;6697;7000;7070;9999"

static PgNetPorts *
pg_config_load_irc_user_ports(PgConfigLoader *loader, const gchar *group)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) entries = NULL;
	PgNetPorts *ports;

	if (g_key_file_has_key(loader->keyfile, group, "irc_user_ports", NULL))
		entries = g_key_file_get_string_list(loader->keyfile, group, "irc_user_ports",
						     NULL, NULL);
	else
		entries = g_strsplit(PG_CONFIG_DEFAULT_IRC_USER_PORTS, ";", -1);
	ports = pg_net_ports_parse((const gchar *const *)entries, &error);
	if (ports == NULL) {
		pg_config_problem(loader, group, "irc_user_ports", "%s", error->message);
		ports = pg_net_ports_parse((const gchar *const[]){"none", NULL}, NULL);
	}
	return ports;
}

PgTransportConfig *
pg_config_transport_load(PgConfigLoader *loader, const gchar *group, gboolean *inline_secret)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *jid = NULL;
	g_autofree gchar *type = NULL;
	PgTransportConfig *transport = g_new0(PgTransportConfig, 1);
	const gchar *name = group + strlen(PG_CONFIG_TRANSPORT_PREFIX);

	pg_config_check_keys(loader, group, pg_config_transport_keys,
			     pg_config_transport_is_parsed_key);
	pg_config_load_option_overrides(loader, group, transport);
	transport->name = g_strstrip(g_strdup(name));
	if (transport->name[0] == '\0')
		pg_config_problem(loader, group, NULL, "transport group needs a name: [transport NAME]");

	jid = pg_config_get_string(loader, group, "jid", TRUE);
	if (jid != NULL && !pg_config_is_valid_domain(jid))
		pg_config_problem(loader, group, "jid",
				  "'%s' is not a component domain (expected e.g. irc.example.org)",
				  jid);
	else if (jid != NULL)
		transport->jid = g_ascii_strdown(jid, -1);

	type = pg_config_get_string(loader, group, "type", TRUE);
	if (type != NULL && !pg_transport_type_from_string(type, &transport->type))
		pg_config_problem(loader, group, "type", "'%s' is not one of irc, sms, purple",
				  type);

	/* the secret: exactly one of secret= and secret_file= */
	transport->secret = pg_config_get_secret(
	    loader, group, "secret", "secret_file",
	    "set secret or secret_file (the XEP-0114 component secret)", inline_secret);

	transport->display_name = pg_config_get_string(loader, group, "name", FALSE);
	if (transport->display_name == NULL) {
		const gchar *kind = type != NULL ? type : "legacy";
		transport->display_name = g_strdup_printf("Polygate %s gateway", kind);
	}

	if (g_key_file_has_key(loader->keyfile, group, "allowed_domains", NULL)) {
		gsize n = 0;
		g_auto(GStrv) domains = g_key_file_get_string_list(loader->keyfile, group,
								   "allowed_domains", &n, &error);
		if (domains == NULL || n == 0) {
			pg_config_problem(loader, group, "allowed_domains",
					  "needs at least one domain, or * for any");
		} else {
			for (gsize i = 0; i < n; i++) {
				g_strstrip(domains[i]);
				if (g_strcmp0(domains[i], "*") != 0 &&
				    !pg_config_is_valid_domain(domains[i]))
					pg_config_problem(loader, group, "allowed_domains",
							  "'%s' is not a domain", domains[i]);
				for (gchar *p = domains[i]; *p != '\0'; p++)
					*p = g_ascii_tolower(*p);
			}
			transport->allowed_domains = g_steal_pointer(&domains);
		}
	} else if (transport->jid != NULL) {
		transport->allowed_domains = pg_config_default_allowed_domains(transport->jid);
	}

	transport->irc_server = pg_config_get_string(loader, group, "irc_server", FALSE);
	if (transport->irc_server != NULL && transport->type != PG_TRANSPORT_TYPE_IRC)
		pg_config_problem(loader, group, "irc_server", "only valid with type = irc");
	transport->irc_port = (guint16)pg_config_get_uint(loader, group, "irc_port", 1, 65535, 6667);
	transport->irc_tls = pg_config_get_bool(loader, group, "irc_tls", FALSE);
	transport->irc_tls_set = g_key_file_has_key(loader->keyfile, group, "irc_tls", NULL);
	transport->irc_port_set = g_key_file_has_key(loader->keyfile, group, "irc_port", NULL);
	if (transport->type == PG_TRANSPORT_TYPE_IRC)
		transport->irc_policy = pg_config_load_irc_policy(loader, group);
	if (transport->type == PG_TRANSPORT_TYPE_IRC)
		transport->irc_user_ports = pg_config_load_irc_user_ports(loader, group);
	transport->irc_throttle_burst =
	    pg_config_get_uint(loader, group, "irc_throttle_burst", 1, 1000, 5);
	transport->irc_throttle_interval =
	    pg_config_get_uint(loader, group, "irc_throttle_interval", 0, 60, 2);
	if (transport->type == PG_TRANSPORT_TYPE_IRC)
		transport->irc_charset = pg_config_load_irc_charset(loader, group);
	for (gsize i = 0; i < G_N_ELEMENTS(pg_config_irc_only_keys); i++) {
		if (transport->type != PG_TRANSPORT_TYPE_IRC &&
		    g_key_file_has_key(loader->keyfile, group, pg_config_irc_only_keys[i], NULL))
			pg_config_problem(loader, group, pg_config_irc_only_keys[i],
					  "only valid with type = irc");
	}
	/* conf/polygate.conf.example says why these defaults */
	transport->max_links_per_user = pg_config_get_uint(
	    loader, group, "max_links_per_user", 0, 10000, PG_CONFIG_DEFAULT_MAX_LINKS_PER_USER);
	transport->max_rooms_per_user = pg_config_get_uint(
	    loader, group, "max_rooms_per_user", 0, 100000, PG_CONFIG_DEFAULT_MAX_ROOMS_PER_USER);
	transport->max_lines_per_message = pg_config_get_uint(
	    loader, group, "max_lines_per_message", 0, 100000, PG_CONFIG_DEFAULT_MAX_LINES_PER_MESSAGE);
	transport->max_avatar_bytes_per_user =
	    pg_config_get_uint(loader, group, "max_avatar_bytes_per_user", 0, 1024 * 1024 * 1024,
			       PG_CONFIG_DEFAULT_MAX_AVATAR_BYTES_PER_USER);
	transport->max_contacts_per_user =
	    pg_config_get_uint(loader, group, "max_contacts_per_user", 1,
			       PG_CONFIG_MAX_CONTACTS_PER_USER_CEILING,
			       PG_CONFIG_DEFAULT_MAX_CONTACTS_PER_USER);
	transport->max_queued_bytes_per_user =
	    pg_config_get_uint(loader, group, "max_queued_bytes_per_user", 0, 1024 * 1024 * 1024,
			       PG_CONFIG_DEFAULT_MAX_QUEUED_BYTES_PER_USER);
	transport->link_give_up_after = pg_config_get_uint(
	    loader, group, "link_give_up_after", 0, 1000, PG_CONFIG_DEFAULT_LINK_GIVE_UP_AFTER);
	transport->link_login_timeout = pg_config_get_uint(
	    loader, group, "link_login_timeout", 0, 3600, PG_CONFIG_DEFAULT_LINK_LOGIN_TIMEOUT);
	transport->prompt_timeout = pg_config_get_uint(loader, group, "prompt_timeout", 1, 3600,
						       PG_CONFIG_DEFAULT_PROMPT_TIMEOUT);
	transport->purple_protocol = pg_config_get_string(loader, group, "purple_protocol", FALSE);
	if (transport->purple_protocol != NULL && transport->type != PG_TRANSPORT_TYPE_PURPLE)
		pg_config_problem(loader, group, "purple_protocol", "only valid with type = purple");
	for (guint i = 0; transport->type != PG_TRANSPORT_TYPE_PURPLE &&
			  i < transport->option_overrides->len;
	     i++) {
		const PgOptionOverride *override = g_ptr_array_index(transport->option_overrides, i);
		pg_config_problem(loader, group, NULL,
				  "option.%s (or option_default.%s, option_hidden.%s): only valid "
				  "with type = purple",
				  override->name, override->name, override->name);
	}
	pg_config_load_sms(loader, group, transport, inline_secret);
	return transport;
}

gboolean
pg_transport_config_allows_domain(const PgTransportConfig *transport, const gchar *domain)
{
	for (guint i = 0; transport->allowed_domains != NULL && transport->allowed_domains[i]; i++) {
		if (g_strcmp0(transport->allowed_domains[i], "*") == 0 ||
		    g_ascii_strcasecmp(transport->allowed_domains[i], domain) == 0)
			return TRUE;
	}
	return FALSE;
}

const PgTransportConfig *
pg_config_find_transport_by_kannel_token(const PgConfig *config, const guint8 *token, gsize len)
{
	guint8 wanted[EVP_MAX_MD_SIZE];
	guint wanted_len = 0;
	const PgTransportConfig *found = NULL;

	g_return_val_if_fail(config != NULL, NULL);
	g_return_val_if_fail(token != NULL || len == 0, NULL);

	/* Compare SHA-256 digests, not the tokens: CRYPTO_memcmp() wants equal
	 * lengths, and comparing the raw lengths first would tell a prober how
	 * long the token is.  Every transport is compared; no early exit. */
	if (EVP_Digest(token != NULL ? token : (const guint8 *)"", len, wanted, &wanted_len,
		       EVP_sha256(), NULL) != 1)
		return NULL;
	for (guint i = 0; i < config->transports->len; i++) {
		const PgTransportConfig *transport = g_ptr_array_index(config->transports, i);
		guint8 digest[EVP_MAX_MD_SIZE];
		guint digest_len = 0;

		if (transport->type != PG_TRANSPORT_TYPE_SMS || transport->kannel_token == NULL)
			continue;
		if (EVP_Digest(transport->kannel_token->data, transport->kannel_token->len, digest,
			       &digest_len, EVP_sha256(), NULL) != 1)
			continue;
		if (digest_len == wanted_len && CRYPTO_memcmp(digest, wanted, wanted_len) == 0 &&
		    found == NULL)
			found = transport;
		OPENSSL_cleanse(digest, sizeof(digest));
	}
	OPENSSL_cleanse(wanted, sizeof(wanted));
	return found;
}

/* Checks that need every group read: Kannel tokens against [http]. */
static void
pg_config_check_kannel_tokens(PgConfigLoader *loader, PgConfig *config)
{
	for (guint i = 0; i < config->transports->len; i++) {
		PgTransportConfig *a = g_ptr_array_index(config->transports, i);
		g_autofree gchar *group = NULL;

		if (a->type != PG_TRANSPORT_TYPE_SMS)
			continue;
		group = g_strconcat(PG_CONFIG_TRANSPORT_PREFIX, a->name, NULL);
		if (config->http_port != 0 && a->kannel_token == NULL &&
		    !g_key_file_has_key(loader->keyfile, group, "kannel_token", NULL) &&
		    !g_key_file_has_key(loader->keyfile, group, "kannel_token_file", NULL))
			pg_config_problem(loader, group, "kannel_token",
					  "missing: set kannel_token or kannel_token_file (the "
					  "token Kannel's get-url and dlr-url carry), or turn the "
					  "HTTP listener off with [http] port = 0");
		for (guint j = i + 1; j < config->transports->len; j++) {
			PgTransportConfig *b = g_ptr_array_index(config->transports, j);
			/* the token says which transport a callback is for */
			if (b->type == PG_TRANSPORT_TYPE_SMS && a->kannel_token != NULL &&
			    pg_secret_equal(a->kannel_token, b->kannel_token))
				pg_config_problem(loader, NULL, NULL,
						  "[transport %s] and [transport %s] have the same "
						  "kannel_token; each sms transport needs its own",
						  a->name, b->name);
		}
	}
}

void
pg_config_transport_check(PgConfigLoader *loader, PgConfig *config)
{
	/* two transports may not share a name or a component JID */
	for (guint i = 0; i < config->transports->len; i++) {
		PgTransportConfig *a = g_ptr_array_index(config->transports, i);
		for (guint j = i + 1; j < config->transports->len; j++) {
			PgTransportConfig *b = g_ptr_array_index(config->transports, j);
			/* "[transport irc]" and "[transport  irc]" are two groups */
			if (a->name[0] != '\0' && g_strcmp0(a->name, b->name) == 0)
				pg_config_problem(loader, NULL, NULL,
						  "two transport groups are both named %s",
						  a->name);
			if (a->jid != NULL && g_strcmp0(a->jid, b->jid) == 0)
				pg_config_problem(loader, NULL, NULL,
						  "[transport %s] and [transport %s] both use jid %s",
						  a->name, b->name, a->jid);
		}
	}
	pg_config_check_kannel_tokens(loader, config);
}
