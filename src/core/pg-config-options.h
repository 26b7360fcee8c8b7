/* The operator's say over a purple transport's plugin options.
 *
 * Keys of a [transport NAME] group of type = purple, NAME being an option's
 * libpurple setting (connect_server, port ...) or a user split's form name
 * (split.domain, split.resource ...):
 *   option.NAME = VALUE          fixed: not in the form, always used at login
 *   option_default.NAME = VALUE  the form's default instead of the plugin's;
 *                                users may change it
 *   option_hidden.NAME = true    not in the form: the login gets
 *                                option_default.NAME if given, else the
 *                                plugin's own default
 * The file's parser only checks their shape; what the names and values
 * must be comes from the plugin (pg_config_options_check(), run by
 * --check-config against the installed plugins, and at start).
 */
#pragma once

#include <glib.h>

#include "core/pg-protocol-info.h"

G_BEGIN_DECLS

typedef struct {
	gchar *name;          /* a setting, or split.SLUG */
	gchar *fixed;         /* option.NAME, or NULL */
	gchar *default_value; /* option_default.NAME, or NULL */
	gboolean hidden;      /* option_hidden.NAME = true */
} PgOptionOverride;

/* TRUE if @key is one of the three families above (even malformed). */
gboolean pg_config_options_is_key(const gchar *key);
/* Read every such key of @group.  Problems (an empty NAME, a hidden value
 * that is not a boolean, option.X with option_default.X) are added to
 * @problems as "KEY: text".
 * Returns: (transfer full) element-type PgOptionOverride, maybe empty */
GPtrArray *pg_config_options_parse(GKeyFile *keyfile, const gchar *group, GPtrArray *problems);
/* Returns: (transfer none) the override of @name in @overrides, or NULL. */
const PgOptionOverride *pg_config_options_find(const GPtrArray *overrides, const gchar *name);
/* Check @overrides against what the plugin declares: each NAME must be one
 * of its options or splits, each value valid for its type.  Problems go to
 * @problems as "KEY: text". */
void pg_config_options_check(const GPtrArray *overrides, const PgProtocolInfo *info,
			     GPtrArray *problems);

G_END_DECLS
