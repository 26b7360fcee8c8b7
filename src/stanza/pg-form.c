#define G_LOG_DOMAIN "pg-xmpp"

#include "config.h"

#include "core/pg-error.h"
#include "core/pg-secret.h"
#include "stanza/pg-form.h"
#include "stanza/pg-stanza.h"

typedef struct {
	gchar *var;
	gchar *type;
	gchar *label;
	gboolean required;
	gchar *value;
	GPtrArray *options; /* label, value, label, value ... (NULL: none) */
	gchar *datatype;    /* XEP-0122, or NULL */
	gint64 min;
	gint64 max;
} PgFormField;

struct _PgForm {
	gchar *type;
	gchar *title;
	gchar *instructions;
	GPtrArray *fields; /* element-type PgFormField */
};

static void
pg_form_field_free(PgFormField *field)
{
	g_free(field->var);
	g_free(field->type);
	g_free(field->label);
	g_free(field->value);
	if (field->options != NULL)
		g_ptr_array_unref(field->options);
	g_free(field->datatype);
	g_free(field);
}

PgForm *
pg_form_new(const gchar *type, const gchar *form_type, const gchar *title,
	    const gchar *instructions)
{
	PgForm *self = g_new0(PgForm, 1);
	self->type = g_strdup(type);
	self->title = g_strdup(title);
	self->instructions = g_strdup(instructions);
	self->fields = g_ptr_array_new_with_free_func((GDestroyNotify)pg_form_field_free);
	/* XEP-0068 §3: FORM_TYPE is a hidden field */
	if (form_type != NULL)
		pg_form_add_field(self, "FORM_TYPE", "hidden", NULL, FALSE, form_type);
	return self;
}

void
pg_form_add_field(PgForm *self, const gchar *var, const gchar *type, const gchar *label,
		  gboolean required, const gchar *value)
{
	PgFormField *field = g_new0(PgFormField, 1);
	field->var = g_strdup(var);
	field->type = g_strdup(type);
	field->label = g_strdup(label);
	field->required = required;
	field->value = g_strdup(value);
	g_ptr_array_add(self->fields, field);
}

void
pg_form_add_option(PgForm *self, const gchar *label, const gchar *value)
{
	PgFormField *field;

	g_return_if_fail(self->fields->len > 0);
	field = g_ptr_array_index(self->fields, self->fields->len - 1);
	if (field->options == NULL)
		field->options = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(field->options, g_strdup(label));
	g_ptr_array_add(field->options, g_strdup(value));
}

void
pg_form_set_datatype(PgForm *self, const gchar *datatype, gint64 min, gint64 max)
{
	PgFormField *field;

	g_return_if_fail(self->fields->len > 0);
	field = g_ptr_array_index(self->fields, self->fields->len - 1);
	g_free(field->datatype);
	field->datatype = g_strdup(datatype);
	field->min = min;
	field->max = max;
}

/* XEP-0122 §3: <validate datatype='...'/> with <basic/> or <range/> */
static void
pg_form_add_validate(xmpp_stanza_t *node, const PgFormField *field)
{
	xmpp_stanza_t *validate = pg_stanza_add_child(node, "validate", PG_NS_DATA_VALIDATE);

	xmpp_stanza_set_attribute(validate, "datatype", field->datatype);
	if (field->min < field->max) {
		xmpp_stanza_t *range = pg_stanza_add_child(validate, "range", NULL);
		g_autofree gchar *min = g_strdup_printf("%" G_GINT64_FORMAT, field->min);
		g_autofree gchar *max = g_strdup_printf("%" G_GINT64_FORMAT, field->max);
		xmpp_stanza_set_attribute(range, "min", min);
		xmpp_stanza_set_attribute(range, "max", max);
	} else {
		pg_stanza_add_child(validate, "basic", NULL);
	}
}

xmpp_stanza_t *
pg_form_to_stanza(const PgForm *self, xmpp_ctx_t *ctx)
{
	xmpp_stanza_t *x = xmpp_stanza_new(ctx);

	xmpp_stanza_set_name(x, "x");
	xmpp_stanza_set_ns(x, PG_NS_DATA);
	xmpp_stanza_set_type(x, self->type);
	if (self->title != NULL)
		pg_stanza_add_text_child(x, "title", self->title);
	if (self->instructions != NULL)
		pg_stanza_add_text_child(x, "instructions", self->instructions);
	for (guint i = 0; i < self->fields->len; i++) {
		PgFormField *field = g_ptr_array_index(self->fields, i);
		xmpp_stanza_t *node = pg_stanza_add_child(x, "field", NULL);
		xmpp_stanza_set_attribute(node, "var", field->var);
		if (field->type != NULL)
			xmpp_stanza_set_attribute(node, "type", field->type);
		if (field->label != NULL)
			pg_stanza_set_attribute(node, "label", field->label);
		if (field->required)
			pg_stanza_add_child(node, "required", NULL);
		if (field->datatype != NULL)
			pg_form_add_validate(node, field);
		if (field->value != NULL)
			pg_stanza_add_text_child(node, "value", field->value);
		for (guint j = 0; field->options != NULL && j + 1 < field->options->len; j += 2) {
			xmpp_stanza_t *option = pg_stanza_add_child(node, "option", NULL);
			pg_stanza_set_attribute(option, "label",
						g_ptr_array_index(field->options, j));
			pg_stanza_add_text_child(option, "value",
						 g_ptr_array_index(field->options, j + 1));
		}
	}
	return x;
}

void
pg_form_free(PgForm *self)
{
	if (self == NULL)
		return;
	g_free(self->type);
	g_free(self->title);
	g_free(self->instructions);
	g_ptr_array_unref(self->fields);
	g_free(self);
}

GHashTable *
pg_form_parse_submit(xmpp_stanza_t *x, const gchar *form_type, GError **error)
{
	g_autoptr(GHashTable) values =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				  (GDestroyNotify)pg_secret_wipe_string);
	const gchar *type = xmpp_stanza_get_type(x);

	/* XEP-0004 §3.1: a form submitted by the requester has type 'submit' */
	if (g_strcmp0(type, "submit") != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "the data form must be of type 'submit', not '%s'",
			    type != NULL ? type : "(none)");
		return NULL;
	}
	for (xmpp_stanza_t *field = xmpp_stanza_get_children(x); field != NULL;
	     field = xmpp_stanza_get_next(field)) {
		const gchar *var;
		xmpp_stanza_t *value;
		gchar *text;

		if (g_strcmp0(xmpp_stanza_get_name(field), "field") != 0)
			continue;
		var = xmpp_stanza_get_attribute(field, "var");
		if (var == NULL || g_hash_table_contains(values, var))
			continue;
		value = xmpp_stanza_get_child_by_name(field, "value");
		text = value != NULL ? xmpp_stanza_get_text(value) : NULL;
		if (text == NULL)
			text = g_strdup("");
		/* XEP-0004 §3.3: a text-multi (or any *-multi) field has one
		 * <value/> per line or item: they are joined with '\n' */
		for (xmpp_stanza_t *more = value != NULL ? xmpp_stanza_get_next(value) : NULL;
		     more != NULL; more = xmpp_stanza_get_next(more)) {
			gchar *line;
			gchar *joined;

			if (g_strcmp0(xmpp_stanza_get_name(more), "value") != 0)
				continue;
			line = xmpp_stanza_get_text(more);
			joined = g_strconcat(text, "\n", line != NULL ? line : "", NULL);
			pg_secret_wipe_string(text);
			if (line != NULL)
				pg_secret_wipe_string(line);
			text = joined;
		}
		g_hash_table_insert(values, g_strdup(var), text);
	}
	if (form_type != NULL && g_hash_table_contains(values, "FORM_TYPE") &&
	    g_strcmp0(g_hash_table_lookup(values, "FORM_TYPE"), form_type) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "the data form's FORM_TYPE must be %s", form_type);
		return NULL;
	}
	return g_steal_pointer(&values);
}
