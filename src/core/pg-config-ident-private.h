/* pg-config-ident.c's part in loading (private to src/core/). */
#pragma once

#include "core/pg-config-ident.h"
#include "core/pg-config-loader.h"

G_BEGIN_DECLS

/* TRUE for the [polygate] keys pg-config-ident.h lists. */
gboolean pg_config_ident_is_polygate_key(const gchar *key);
/* Read them from [polygate] into @config; @key_file (nullable) is the
 * registry's, the default ident_key_file's base. */
void pg_config_ident_load_polygate(PgConfigLoader *loader, PgIdentConfig *config,
				   const gchar *key_file);
/* One [webirc NAME] group into @config; *@inline_secret set when its
 * password is inline. */
void pg_config_ident_load_webirc(PgConfigLoader *loader, PgIdentConfig *config,
				 const gchar *group, gboolean *inline_secret);
/* After every group: two [webirc] groups may not claim one pattern. */
void pg_config_ident_check(PgConfigLoader *loader, PgIdentConfig *config);

G_END_DECLS
