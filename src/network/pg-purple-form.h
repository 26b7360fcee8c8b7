/* The registration form of a `purple` transport, built from what its
 * plugin declares (PgProtocolInfo) and what the operator fixed, hid or
 * defaulted (option.NAME & co, core/pg-config-options.h).
 *
 * Fields (XEP-0004 §3.3 types):
 *   username        text-single, required: the account name's first part
 *                   (the plugin's own label for it, else "Username")
 *   split.SLUG      text-single, one per user split ("Domain", "Resource"),
 *                   joined into the account name as Pidgin does
 *   password        text-private; required, optional
 *                   (OPT_PROTO_PASSWORD_OPTIONAL) or absent
 *                   (OPT_PROTO_NO_PASSWORD)
 *   option.SETTING  one per plugin option: string -> text-single
 *                   (text-private for a credential), int -> text-single with
 *                   XEP-0122 xs:integer in gint's range, bool -> boolean,
 *                   list -> list-single with the plugin's choices
 * with the plugin's labels, and its defaults (or the operator's) as values.
 *
 * Stored (registry/pg-account.h): the joined account name as legacy_id,
 * the password and credential options as sealed secrets, every other
 * option as the setting "option.SETTING".  At login the stored options,
 * then the operator's fixed ones (which always win), become the login's
 * options (pg_purple_form_add_login_options()).
 */
#pragma once

#include <glib.h>

#include "core/pg-config.h"
#include "core/pg-protocol-info.h"
#include "registry/pg-account.h"
#include "stanza/pg-form.h"

G_BEGIN_DECLS

#define PG_PURPLE_FORM_OPTION_PREFIX "option."

/* Instructions for the form of @info.  Returns: (transfer full) */
gchar *pg_purple_form_instructions(const PgProtocolInfo *info) G_GNUC_WARN_UNUSED_RESULT;

/* The whole form: the transport's name as title, instructions naming the
 * network, the fields below.  Returns: (transfer full) */
PgForm *pg_purple_form_new(const PgProtocolInfo *info, const PgTransportConfig *transport,
			   const PgAccount *account) G_GNUC_WARN_UNUSED_RESULT;

/* Add the fields of @info to @form, with @account's values when it is
 * registered (secrets are never shown), else the defaults.  The legacy
 * XEP-0077 <username/> carries the whole account name: @username_out gets
 * it (transfer full, NULL if not registered). */
void pg_purple_form_add_fields(PgForm *form, const PgProtocolInfo *info,
			       const PgTransportConfig *transport, const PgAccount *account,
			       gchar **username_out);

/* Check the submitted @values (var -> text) against @info and the
 * operator's overrides and build the account to store.  A legacy
 * registration (no form) names the whole account in "username": it is cut
 * into its splits.  Fields the form did not offer (fixed, hidden, unknown)
 * are ignored: a user cannot set what the operator fixed.
 * Returns: (transfer full) or NULL with PG_ERROR_NOT_ACCEPTABLE. */
PgAccount *pg_purple_form_build_account(const PgProtocolInfo *info,
					const PgTransportConfig *transport,
					const gchar *transport_jid, const gchar *user_jid,
					GHashTable *values, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* Add @account's options to a login's a{ss} @options: stored values, the
 * operator's defaults for hidden options, and the operator's fixed values
 * (last, so they win).  @info may be NULL (the plugins could not be read):
 * then the stored options go as they are. */
void pg_purple_form_add_login_options(const PgProtocolInfo *info,
				      const PgTransportConfig *transport,
				      const PgAccount *account, GVariantBuilder *options);

G_END_DECLS
