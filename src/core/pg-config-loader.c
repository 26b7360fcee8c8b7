/* The config file's reader: typed values, secrets and checks that report
 * every problem with its place (pg-config-loader.h).  pg-config.c knows what
 * the groups and keys mean; this file knows how a value is read. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core/pg-config-loader.h"

void
pg_config_problem(PgConfigLoader *loader, const gchar *group, const gchar *key, const gchar *format,
		  ...)
{
	va_list args;
	g_autofree gchar *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	if (loader->problems->len > 0)
		g_string_append_c(loader->problems, '\n');
	if (loader->form) {
		g_string_append_printf(loader->problems, "%s: %s", key != NULL ? key : "name",
				       text);
		return;
	}
	g_string_append_printf(loader->problems, "%s: ", loader->path);
	if (group != NULL)
		g_string_append_printf(loader->problems, "[%s] ", group);
	if (key != NULL)
		g_string_append_printf(loader->problems, "%s: ", key);
	g_string_append(loader->problems, text);
}

void
pg_config_check_keys(PgConfigLoader *loader, const gchar *group, const gchar *const *allowed,
		     gboolean (*also_allowed)(const gchar *key))
{
	g_auto(GStrv) keys = g_key_file_get_keys(loader->keyfile, group, NULL, NULL);

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (also_allowed != NULL && also_allowed(keys[i]))
			continue;
		if (!g_strv_contains(allowed, keys[i]))
			pg_config_problem(loader, group, keys[i], "unknown key");
	}
}

void
pg_config_key_problem(GPtrArray *problems, const gchar *key, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	g_ptr_array_add(problems, g_strdup_printf("%s: %s", key, text));
}

/* Returns: (transfer full) the trimmed string value, or NULL if absent; an
 * empty value is reported as a problem when @required. */
gchar *
pg_config_get_string(PgConfigLoader *loader, const gchar *group, const gchar *key,
		     gboolean required)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *value = g_key_file_get_string(loader->keyfile, group, key, &error);

	if (value == NULL) {
		if (required)
			pg_config_problem(loader, group, key, "missing (required)");
		return NULL;
	}
	g_strstrip(value);
	if (value[0] == '\0') {
		pg_config_problem(loader, group, key, "empty value");
		return NULL;
	}
	return g_steal_pointer(&value);
}

/* An unsigned integer in [min, max]; @fallback when the key is absent. */
guint
pg_config_get_uint(PgConfigLoader *loader, const gchar *group, const gchar *key, guint min,
		   guint max, guint fallback)
{
	g_autoptr(GError) error = NULL;
	gint64 value;

	if (!g_key_file_has_key(loader->keyfile, group, key, NULL))
		return fallback;
	value = g_key_file_get_int64(loader->keyfile, group, key, &error);
	if (error != NULL || value < min || value > max) {
		pg_config_problem(loader, group, key, "must be a whole number from %u to %u", min,
				  max);
		return fallback;
	}
	return (guint)value;
}

gboolean
pg_config_get_bool(PgConfigLoader *loader, const gchar *group, const gchar *key,
		   gboolean fallback)
{
	g_autoptr(GError) error = NULL;
	gboolean value;

	if (!g_key_file_has_key(loader->keyfile, group, key, NULL))
		return fallback;
	value = g_key_file_get_boolean(loader->keyfile, group, key, &error);
	if (error != NULL) {
		pg_config_problem(loader, group, key, "must be true or false");
		return fallback;
	}
	return value;
}

gchar *
pg_config_resolve_path(PgConfigLoader *loader, const gchar *value)
{
	if (g_path_is_absolute(value))
		return g_strdup(value);
	return g_build_filename(loader->dir, value, NULL);
}

/* A domain as RFC 7622 §3.2 allows it for a component: no '@' or '/',
 * non-empty labels, at most 1023 octets. */
gboolean
pg_config_is_valid_domain(const gchar *domain)
{
	gsize len = strlen(domain);

	if (len == 0 || len > 1023 || domain[0] == '.' || domain[len - 1] == '.')
		return FALSE;
	if (strstr(domain, "..") != NULL)
		return FALSE;
	for (const gchar *p = domain; *p != '\0'; p++) {
		if (*p == '@' || *p == '/' || g_ascii_isspace(*p) || g_ascii_iscntrl(*p))
			return FALSE;
	}
	return g_utf8_validate(domain, -1, NULL);
}

gboolean
pg_config_is_valid_bare_jid(const gchar *jid)
{
	const gchar *at = strchr(jid, '@');
	if (at == NULL || at == jid || strchr(jid, '/') != NULL)
		return FALSE;
	return pg_config_is_valid_domain(at + 1);
}

/* @key names the *_file key in messages. */
static PgSecret *
pg_config_read_secret_file(PgConfigLoader *loader, const gchar *group, const gchar *key,
			   const gchar *path)
{
	struct stat st;
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	gsize len = 0;
	PgSecret *secret;

	if (stat(path, &st) != 0) {
		pg_config_problem(loader, group, key, "cannot read %s: %s", path,
				  g_strerror(errno));
		return NULL;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		pg_config_problem(loader, group, key,
				  "%s is accessible by group or others (mode %04o); "
				  "run: chmod 600 %s",
				  path, (guint)(st.st_mode & 07777), path);
		return NULL;
	}
	if (!g_file_get_contents(path, &contents, &len, &error)) {
		pg_config_problem(loader, group, key, "%s", error->message);
		return NULL;
	}
	/* one line; a trailing newline is not part of the secret */
	while (len > 0 && (contents[len - 1] == '\n' || contents[len - 1] == '\r'))
		contents[--len] = '\0';
	if (len == 0) {
		pg_secret_wipe_string(contents);
		pg_config_problem(loader, group, key, "%s is empty", path);
		return NULL;
	}
	secret = pg_secret_new_take((guint8 *)contents, len);
	return secret;
}

/* Exactly one of @key (inline) and @file_key (a 0600 file holding only the
 * secret).  Sets *@inline_secret when the value is inline.  When neither is
 * given: NULL, and a problem "missing: @missing" if @missing is not NULL.
 * Returns: (transfer full) the secret, or NULL. */
PgSecret *
pg_config_get_secret(PgConfigLoader *loader, const gchar *group, const gchar *key,
		     const gchar *file_key, const gchar *missing, gboolean *inline_secret)
{
	g_autofree gchar *file = NULL;
	gchar *value = g_key_file_get_string(loader->keyfile, group, key, NULL);
	PgSecret *secret = NULL;

	file = pg_config_get_string(loader, group, file_key, FALSE);
	if (value != NULL && file != NULL) {
		pg_config_problem(loader, group, key, "give either %s or %s, not both", key,
				  file_key);
	} else if (value != NULL) {
		if (value[0] == '\0')
			pg_config_problem(loader, group, key, "empty value");
		else
			secret = pg_secret_new_from_string(value);
		*inline_secret = TRUE;
	} else if (file != NULL) {
		g_autofree gchar *path = pg_config_resolve_path(loader, file);
		secret = pg_config_read_secret_file(loader, group, file_key, path);
	} else if (missing != NULL) {
		pg_config_problem(loader, group, key, "missing: %s", missing);
	}
	pg_secret_wipe_string(value);
	return secret;
}

/* Characters that pass through a URL query unchanged (RFC 3986 §2.3
 * "unreserved"): Kannel copies get-url/dlr-url text as it is, so a token
 * with '&', '%', '+' or a space would arrive mangled. */
gboolean
pg_config_is_url_safe(const PgSecret *secret)
{
	for (gsize i = 0; i < secret->len; i++) {
		guint8 c = secret->data[i];
		if (!g_ascii_isalnum(c) && c != '-' && c != '.' && c != '_' && c != '~')
			return FALSE;
	}
	return TRUE;
}

gboolean
pg_config_is_ip_address(const gchar *text)
{
	guint8 buf[16];
	return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}
