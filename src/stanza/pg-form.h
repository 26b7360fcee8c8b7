/* XEP-0004 data forms: building a form and reading a submitted one. */
#pragma once

#include <glib.h>
#include <strophe.h>

G_BEGIN_DECLS

typedef struct _PgForm PgForm;

/* Returns: (transfer full) an empty form of @type ("form", "result", ...) whose
 * hidden FORM_TYPE field is @form_type (may be NULL). */
PgForm *pg_form_new(const gchar *type, const gchar *form_type, const gchar *title,
		    const gchar *instructions);
void pg_form_add_field(PgForm *self, const gchar *var, const gchar *type, const gchar *label,
		       gboolean required, const gchar *value);
/* To the field added last: a choice of a list-single (XEP-0004 §3.3
 * <option/>), and a XEP-0122 datatype (e.g. "xs:integer") with, when
 * @min < @max, a range. */
void pg_form_add_option(PgForm *self, const gchar *label, const gchar *value);
void pg_form_set_datatype(PgForm *self, const gchar *datatype, gint64 min, gint64 max);
/* Returns: (transfer full) the <x xmlns='jabber:x:data'/> element. */
xmpp_stanza_t *pg_form_to_stanza(const PgForm *self, xmpp_ctx_t *ctx);
void pg_form_free(PgForm *self);

/* A submitted form's values: var -> value; a field with several values
 * (text-multi, list-multi) gives them joined with '\n', in order.  Values are wiped when the table is destroyed, since a form may
 * carry a password.
 * Returns: (transfer full) the values, or NULL with PG_ERROR_BAD_REQUEST if
 * @x is not a form of type 'submit' whose FORM_TYPE (if any) is @form_type. */
GHashTable *pg_form_parse_submit(xmpp_stanza_t *x, const gchar *form_type, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgForm, pg_form_free)

G_END_DECLS
