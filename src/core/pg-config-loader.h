/* The config file's reader (pg-config-loader.c).  Private to src/core/:
 * pg-config.c walks the groups, these read and check one value each, and
 * every problem is collected with its file, group and key, so the operator
 * sees all of them at once. */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"

G_BEGIN_DECLS

typedef struct {
	GKeyFile *keyfile;
	const gchar *path;
	gchar *dir;
	GString *problems;
	/* an admin's form, not a file (pg-config-bridge-form.h): a problem
	 * names its key, the form's field, and no file or group; one with
	 * the [bridge NAME] group itself is the "name" field's */
	gboolean form;
} PgConfigLoader;

/* Add "PATH: [GROUP] KEY: text" to @loader's problems (@group, @key nullable). */
void pg_config_problem(PgConfigLoader *loader, const gchar *group, const gchar *key,
		       const gchar *format, ...) G_GNUC_PRINTF(4, 5);
/* Add "@key: text" to @problems: for parsers that read a group's keys on
 * their own (pg-config-options.c, pg-config-history.c); the loader prefixes
 * file and group when it takes them over. */
void pg_config_key_problem(GPtrArray *problems, const gchar *key, const gchar *format, ...)
    G_GNUC_PRINTF(3, 4);
/* A problem "unknown key" for each key of @group that is neither in
 * @allowed nor, when @also_allowed is not NULL, one it accepts (the keys
 * another parser reads, e.g. pg-config-options.c's option.*). */
void pg_config_check_keys(PgConfigLoader *loader, const gchar *group, const gchar *const *allowed,
			  gboolean (*also_allowed)(const gchar *key));
/* Returns: (transfer full) the trimmed string value, or NULL if absent; an
 * empty value is reported as a problem when @required. */
gchar *pg_config_get_string(PgConfigLoader *loader, const gchar *group, const gchar *key,
			    gboolean required);
/* An unsigned integer in [min, max]; @fallback when the key is absent. */
guint pg_config_get_uint(PgConfigLoader *loader, const gchar *group, const gchar *key, guint min,
			 guint max, guint fallback);
gboolean pg_config_get_bool(PgConfigLoader *loader, const gchar *group, const gchar *key,
			    gboolean fallback);
/* @value relative to the config file's directory.  Returns: (transfer full) */
gchar *pg_config_resolve_path(PgConfigLoader *loader, const gchar *value);
/* A domain as RFC 7622 §3.2 allows it for a component. */
gboolean pg_config_is_valid_domain(const gchar *domain);
gboolean pg_config_is_valid_bare_jid(const gchar *jid);
/* Exactly one of @key (inline) and @file_key (a 0600 file holding only the
 * secret).  Sets *@inline_secret when the value is inline.  When neither is
 * given: NULL, and a problem "missing: @missing" if @missing is not NULL.
 * Returns: (transfer full) the secret, or NULL. */
PgSecret *pg_config_get_secret(PgConfigLoader *loader, const gchar *group, const gchar *key,
			       const gchar *file_key, const gchar *missing,
			       gboolean *inline_secret);
/* Only RFC 3986 §2.3 unreserved characters. */
gboolean pg_config_is_url_safe(const PgSecret *secret);
gboolean pg_config_is_ip_address(const gchar *text);

G_END_DECLS
