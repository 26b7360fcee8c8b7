/* Worker protocol messages: the table of kinds, validation, framing.
 *
 * DESIGN: pg-ipc-message.h holds the contract as an X-macro; this file turns
 * each row's field string into a parsed spec once (g_once), and checks every
 * message against it both when encoding and when decoding.  Decoding treats
 * the payload as hostile: it is wrapped with g_variant_new_from_bytes(...,
 * trusted=FALSE) and must be in normal form, which rules out offsets pointing
 * outside the frame, invalid UTF-8 and non-canonical encodings, so two
 * parsers can never disagree about one frame.
 *
 * Secrets: a frame buffer (encoded or received) lives in a block that is
 * wiped before it is freed.  Received messages keep their GVariants in
 * serialised form over that block, so a password read with
 * pg_ipc_message_dup_secret() leaves no other copy behind in this process.
 * A sender that builds its password field with pg_ipc_variant_new_secret()
 * gets the same guarantee.  What we cannot wipe: the kernel's socket buffers,
 * and whatever the peer does with the value afterwards.
 */
#include "config.h"

#define G_LOG_DOMAIN "pg-ipc"

#include <string.h>

#include "core/pg-error.h"
#include "ipc/pg-ipc-message.h"
#include "ipc/pg-ipc-private.h"

typedef struct {
	const gchar *name;
	PgIpcDirection direction;
	const gchar *fields;
} PgIpcKindRow;

static const PgIpcKindRow pg_ipc_kind_rows[PG_IPC_KIND_LAST] = {
#define PG_IPC_X_ROW(sym, wire, dir, spec)                                                        \
	[PG_IPC_##sym] = {.name = wire, .direction = PG_IPC_##dir, .fields = spec},
    PG_IPC_MESSAGES(PG_IPC_X_ROW)
#undef PG_IPC_X_ROW
};

#define PG_IPC_FRAME_ALIGN 8

/* A bitmask of seen fields is kept per message while validating. */
#define PG_IPC_FIELDS_MAX 32

typedef struct {
	gchar *name;
	GVariantType *type;
	gboolean optional;
	gboolean secret;
} PgIpcFieldSpec;

typedef struct {
	PgIpcFieldSpec fields[PG_IPC_FIELDS_MAX];
	guint n_fields;
} PgIpcKindSpec;

/* Built once, never freed: it is the static protocol table. */
static PgIpcKindSpec *pg_ipc_specs;

static void
pg_ipc_spec_parse(PgIpcKindSpec *spec, const gchar *text)
{
	g_auto(GStrv) tokens = g_strsplit(text, " ", -1);

	for (guint i = 0; tokens[i] != NULL; i++) {
		PgIpcFieldSpec *field;
		const gchar *colon;
		g_autofree gchar *type = NULL;
		gsize len;

		if (tokens[i][0] == '\0')
			continue;
		g_assert(spec->n_fields < PG_IPC_FIELDS_MAX);
		colon = strchr(tokens[i], ':');
		g_assert(colon != NULL);
		field = &spec->fields[spec->n_fields++];
		field->name = g_strndup(tokens[i], colon - tokens[i]);
		type = g_strdup(colon + 1);
		len = strlen(type);
		while (len > 0 && (type[len - 1] == '?' || type[len - 1] == '!')) {
			if (type[len - 1] == '?')
				field->optional = TRUE;
			else
				field->secret = TRUE;
			type[--len] = '\0';
		}
		g_assert(g_variant_type_string_is_valid(type));
		field->type = g_variant_type_new(type);
	}
}

static const PgIpcKindSpec *
pg_ipc_spec_get(PgIpcKind kind)
{
	static gsize initialised = 0;

	if (g_once_init_enter(&initialised)) {
		PgIpcKindSpec *specs = g_new0(PgIpcKindSpec, PG_IPC_KIND_LAST);
		for (guint i = 1; i < PG_IPC_KIND_LAST; i++)
			pg_ipc_spec_parse(&specs[i], pg_ipc_kind_rows[i].fields);
		pg_ipc_specs = specs;
		g_once_init_leave(&initialised, 1);
	}
	if (kind <= PG_IPC_KIND_INVALID || kind >= PG_IPC_KIND_LAST)
		return NULL;
	return &pg_ipc_specs[kind];
}

const gchar *
pg_ipc_kind_to_string(PgIpcKind kind)
{
	if (kind <= PG_IPC_KIND_INVALID || kind >= PG_IPC_KIND_LAST)
		return NULL;
	return pg_ipc_kind_rows[kind].name;
}

PgIpcDirection
pg_ipc_kind_get_direction(PgIpcKind kind)
{
	g_return_val_if_fail(kind > PG_IPC_KIND_INVALID && kind < PG_IPC_KIND_LAST, PG_IPC_BOTH);
	return pg_ipc_kind_rows[kind].direction;
}

PgIpcKind
pg_ipc_kind_from_string(const gchar *name, PgIpcRole role)
{
	PgIpcDirection wanted = role == PG_IPC_ROLE_WORKER ? PG_IPC_CMD : PG_IPC_EVT;

	if (name == NULL)
		return PG_IPC_KIND_INVALID;
	for (guint i = 1; i < PG_IPC_KIND_LAST; i++) {
		const PgIpcKindRow *row = &pg_ipc_kind_rows[i];
		if (row->direction != PG_IPC_BOTH && row->direction != wanted)
			continue;
		if (g_strcmp0(row->name, name) == 0)
			return (PgIpcKind)i;
	}
	return PG_IPC_KIND_INVALID;
}

/* Wiped buffers ------------------------------------------------------------ */

typedef struct {
	gsize len;
	/* gsize-sized header keeps @data 8-byte aligned for GVariant */
	guint8 data[];
} PgIpcWipeBlock;

static void
pg_ipc_wipe_block_free(gpointer user_data)
{
	PgIpcWipeBlock *block = user_data;
	explicit_bzero(block->data, block->len);
	g_free(block);
}

GBytes *
pg_ipc_wiped_bytes_new(gsize len, guint8 **data)
{
	PgIpcWipeBlock *block = g_malloc(sizeof(PgIpcWipeBlock) + len + 1);
	block->len = len + 1;
	block->data[len] = '\0';
	*data = block->data;
	return g_bytes_new_with_free_func(block->data, len, pg_ipc_wipe_block_free, block);
}

GVariant *
pg_ipc_variant_new_secret(const PgSecret *secret)
{
	guint8 *data = NULL;
	g_autoptr(GBytes) bytes = NULL;
	gboolean valid;

	g_return_val_if_fail(secret != NULL, NULL);
	/* 's' is serialised with its NUL */
	bytes = pg_ipc_wiped_bytes_new(secret->len + 1, &data);
	if (secret->len > 0)
		memcpy(data, secret->data, secret->len);
	data[secret->len] = '\0';
	/* An invalid string is wrapped untrusted, so encode's normal-form check
	 * rejects it instead of sending something the peer must refuse. */
	valid = g_utf8_validate_len((const gchar *)data, secret->len, NULL);
	return g_variant_new_from_bytes(G_VARIANT_TYPE_STRING, bytes, valid);
}

/* Messages ------------------------------------------------------------------ */

static gint pg_ipc_spec_find_field(const PgIpcKindSpec *spec, const gchar *name);

static gboolean pg_ipc_message_scan(const PgIpcMessage *msg, GVariant **index, gboolean strict,
				    GError **error);

/* Each field of the kind's row that is present with its row's type gets its
 * (unboxed) value in msg->index.  GLib's g_variant_lookup() makes a GVariant
 * for every entry it passes over, and a received frame's children are checked
 * for normal form as they are made, so five lookups on one event cost more
 * than decoding it (callgrind, contrib/bench/irc_bench.py).  A received
 * message is indexed by the same pass that validates it. */
static void
pg_ipc_message_index(PgIpcMessage *msg)
{
	const PgIpcKindSpec *spec = pg_ipc_spec_get(msg->kind);

	if (spec == NULL || spec->n_fields == 0 ||
	    !g_variant_is_of_type(msg->fields, G_VARIANT_TYPE_VARDICT))
		return;
	msg->index = g_new0(GVariant *, spec->n_fields);
	/* a message of ours with a wrong field is refused by encode; the
	 * fields that are right are still readable */
	pg_ipc_message_scan(msg, msg->index, FALSE, NULL);
}

/* The value of field @name of @msg, or NULL (borrowed from the message). */
static GVariant *
pg_ipc_message_field(const PgIpcMessage *msg, const gchar *name)
{
	const PgIpcKindSpec *spec = pg_ipc_spec_get(msg->kind);
	gint idx;

	if (spec == NULL || spec->n_fields == 0)
		return NULL;
	/* The index is a cache, filled on the first read.  A message belongs to
	 * one thread (its main loop's), so the cast is safe. */
	if (msg->index == NULL)
		pg_ipc_message_index((PgIpcMessage *)msg);
	if (msg->index == NULL)
		return NULL;
	idx = pg_ipc_spec_find_field(spec, name);
	return idx >= 0 ? msg->index[idx] : NULL;
}

static PgIpcMessage *
pg_ipc_message_alloc(PgIpcKind kind, guint32 id, GVariant *fields)
{
	PgIpcMessage *msg = g_new0(PgIpcMessage, 1);

	msg->id = id;
	msg->kind = kind;
	msg->fields = g_variant_ref_sink(fields);
	return msg;
}

PgIpcMessage *
pg_ipc_message_new_from_fields(PgIpcKind kind, guint32 id, GVariant *fields)
{
	g_return_val_if_fail(fields != NULL, NULL);
	/* indexed on the first read: most messages built here are only sent */
	return pg_ipc_message_alloc(kind, id, fields);
}

PgIpcMessage *
pg_ipc_message_new(PgIpcKind kind, guint32 id, const gchar *first_field, ...)
{
	GVariantBuilder builder;
	va_list args;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	va_start(args, first_field);
	for (const gchar *name = first_field; name != NULL; name = va_arg(args, const gchar *)) {
		GVariant *value = va_arg(args, GVariant *);
		if (value == NULL)
			continue;
		/* sink a floating ref; a caller's full ref stays the caller's */
		g_variant_ref_sink(value);
		g_variant_builder_add(&builder, "{sv}", name, value);
		g_variant_unref(value);
	}
	va_end(args);
	return pg_ipc_message_new_from_fields(kind, id, g_variant_builder_end(&builder));
}

void
pg_ipc_message_free(PgIpcMessage *msg)
{
	const PgIpcKindSpec *spec;

	if (msg == NULL)
		return;
	spec = pg_ipc_spec_get(msg->kind);
	if (msg->index != NULL && spec != NULL) {
		for (guint i = 0; i < spec->n_fields; i++)
			g_clear_pointer(&msg->index[i], g_variant_unref);
	}
	g_free(msg->index);
	g_clear_pointer(&msg->fields, g_variant_unref);
	g_free(msg);
}

static gint
pg_ipc_spec_find_field(const PgIpcKindSpec *spec, const gchar *name)
{
	for (guint i = 0; i < spec->n_fields; i++) {
		if (g_strcmp0(spec->fields[i].name, name) == 0)
			return (gint)i;
	}
	return -1;
}

/* One pass over @msg's fields against its kind's row.  @strict: the first
 * problem stops it (told in @error, nullable); else a wrong entry is skipped
 * (for indexing a message of ours, whose problems encode tells).
 * With @index (n_fields slots, all NULL), each right field's value is kept
 * there (a full reference). */
static gboolean
pg_ipc_message_scan(const PgIpcMessage *msg, GVariant **index, gboolean strict, GError **error)
{
	const PgIpcKindSpec *spec;
	const gchar *kind_name;
	GVariantIter iter;
	guint32 seen = 0;
	const gchar *key = NULL;
	GVariant *entry_value = NULL;

	spec = pg_ipc_spec_get(msg->kind);
	if (spec == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "unknown message kind %d",
			    (gint)msg->kind);
		return FALSE;
	}
	kind_name = pg_ipc_kind_rows[msg->kind].name;
	if (msg->fields == NULL || !g_variant_is_of_type(msg->fields, G_VARIANT_TYPE_VARDICT)) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST, "%s: fields are not a{sv}",
			    kind_name);
		return FALSE;
	}

	g_variant_iter_init(&iter, msg->fields);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &entry_value)) {
		g_autoptr(GVariant) value = g_steal_pointer(&entry_value);
		const PgIpcFieldSpec *field;
		gint idx = pg_ipc_spec_find_field(spec, key);

		if (idx < 0) {
			if (!strict)
				continue;
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "%s: unknown field '%s'", kind_name, key);
			return FALSE;
		}
		if (seen & (1u << idx)) {
			if (!strict)
				continue;
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "%s: field '%s' given twice", kind_name, key);
			return FALSE;
		}
		field = &spec->fields[idx];
		if (!g_variant_is_of_type(value, field->type)) {
			g_autofree gchar *want = NULL;
			if (!strict)
				continue;
			want = g_variant_type_dup_string(field->type);
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "%s: field '%s' must be of type %s, not %s", kind_name, key,
				    want, g_variant_get_type_string(value));
			return FALSE;
		}
		/* secrets are built from raw bytes by pg_ipc_variant_new_secret() */
		if (field->secret && !g_variant_is_normal_form(value)) {
			if (!strict)
				continue;
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "%s: field '%s' is not valid UTF-8", kind_name, key);
			return FALSE;
		}
		seen |= 1u << idx;
		if (index != NULL)
			index[idx] = g_steal_pointer(&value);
	}
	for (guint i = 0; i < spec->n_fields; i++) {
		if (!spec->fields[i].optional && (seen & (1u << i)) == 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "%s: required field '%s' is missing", kind_name,
				    spec->fields[i].name);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
pg_ipc_message_validate(const PgIpcMessage *msg, GError **error)
{
	g_return_val_if_fail(msg != NULL, FALSE);
	return pg_ipc_message_scan(msg, NULL, TRUE, error);
}

GBytes *
pg_ipc_message_encode(const PgIpcMessage *msg, GError **error)
{
	g_autoptr(GVariant) frame = NULL;
	g_autoptr(GBytes) whole = NULL;
	guint8 *data = NULL;
	guint8 *header;
	gsize size;

	g_return_val_if_fail(msg != NULL, NULL);

	if (!pg_ipc_message_validate(msg, error)) {
		g_prefix_error(error, "cannot encode: ");
		return NULL;
	}
	frame = g_variant_ref_sink(g_variant_new("(us@a{sv})", msg->id,
						 pg_ipc_kind_rows[msg->kind].name, msg->fields));
	size = g_variant_get_size(frame);
	if (size > PG_IPC_FRAME_MAX) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "cannot encode %s: %" G_GSIZE_FORMAT " bytes exceed the %u byte limit",
			    pg_ipc_kind_rows[msg->kind].name, size, (guint)PG_IPC_FRAME_MAX);
		return NULL;
	}
	/* GVariant serialises only to 8-byte aligned memory: the payload goes at
	 * offset 8 of the (aligned) block, the header just before it. */
	whole = pg_ipc_wiped_bytes_new(PG_IPC_FRAME_ALIGN + size, &data);
	header = data + PG_IPC_FRAME_ALIGN - PG_IPC_FRAME_HEADER_SIZE;
	header[0] = (size >> 24) & 0xff;
	header[1] = (size >> 16) & 0xff;
	header[2] = (size >> 8) & 0xff;
	header[3] = size & 0xff;
	/* serialises a tree-form variant straight into our buffer: no other copy */
	g_variant_store(frame, data + PG_IPC_FRAME_ALIGN);
	return g_bytes_new_from_bytes(whole, PG_IPC_FRAME_ALIGN - PG_IPC_FRAME_HEADER_SIZE,
				      PG_IPC_FRAME_HEADER_SIZE + size);
}

PgIpcMessage *
pg_ipc_message_decode(const guint8 *data, gsize len, PgIpcRole receiver, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GVariant) frame = NULL;
	g_autoptr(GVariant) fields = NULL;
	g_autoptr(PgIpcMessage) msg = NULL;
	const gchar *kind_name = NULL;
	guint8 *copy = NULL;
	guint32 id = 0;
	PgIpcKind kind;

	if (len > PG_IPC_FRAME_MAX) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
			    "frame of %" G_GSIZE_FORMAT " bytes exceeds the %u byte limit", len,
			    (guint)PG_IPC_FRAME_MAX);
		return NULL;
	}
	bytes = pg_ipc_wiped_bytes_new(len, &copy);
	if (len > 0)
		memcpy(copy, data, len);
	frame = g_variant_ref_sink(
	    g_variant_new_from_bytes(G_VARIANT_TYPE("(usa{sv})"), bytes, FALSE));
	if (!g_variant_is_normal_form(frame)) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
				    "frame is not a (usa{sv}) in normal form");
		return NULL;
	}
	g_variant_get(frame, "(u&s@a{sv})", &id, &kind_name, &fields);
	kind = pg_ipc_kind_from_string(kind_name, receiver);
	if (kind == PG_IPC_KIND_INVALID) {
		g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
			    "unknown message kind '%s' for a %s", kind_name,
			    receiver == PG_IPC_ROLE_WORKER ? "worker" : "daemon");
		return NULL;
	}
	/* validated and indexed in one pass over the received dictionary */
	msg = pg_ipc_message_alloc(kind, id, fields);
	msg->index = g_new0(GVariant *, MAX(pg_ipc_spec_get(kind)->n_fields, 1));
	if (!pg_ipc_message_scan(msg, msg->index, TRUE, error))
		return NULL;
	return g_steal_pointer(&msg);
}

/* Getters ------------------------------------------------------------------- */

gboolean
pg_ipc_message_has_field(const PgIpcMessage *msg, const gchar *name)
{
	g_return_val_if_fail(msg != NULL && name != NULL, FALSE);
	return pg_ipc_message_field(msg, name) != NULL;
}

/* A field of another type than its row says reads as absent: a received
 * message with one was refused by pg_ipc_message_validate(). */
static GVariant *
pg_ipc_message_field_of_type(const PgIpcMessage *msg, const gchar *name,
			     const GVariantType *type)
{
	GVariant *value = pg_ipc_message_field(msg, name);

	return value != NULL && g_variant_is_of_type(value, type) ? value : NULL;
}

const gchar *
pg_ipc_message_get_string(const PgIpcMessage *msg, const gchar *name)
{
	GVariant *value;

	g_return_val_if_fail(msg != NULL && name != NULL, NULL);
	value = pg_ipc_message_field_of_type(msg, name, G_VARIANT_TYPE_STRING);
	/* points into the dictionary, which the message owns */
	return value != NULL ? g_variant_get_string(value, NULL) : NULL;
}

guint32
pg_ipc_message_get_uint32(const PgIpcMessage *msg, const gchar *name, guint32 fallback)
{
	GVariant *value;

	g_return_val_if_fail(msg != NULL && name != NULL, fallback);
	value = pg_ipc_message_field_of_type(msg, name, G_VARIANT_TYPE_UINT32);
	return value != NULL ? g_variant_get_uint32(value) : fallback;
}

guint64
pg_ipc_message_get_uint64(const PgIpcMessage *msg, const gchar *name, guint64 fallback)
{
	GVariant *value;

	g_return_val_if_fail(msg != NULL && name != NULL, fallback);
	value = pg_ipc_message_field_of_type(msg, name, G_VARIANT_TYPE_UINT64);
	return value != NULL ? g_variant_get_uint64(value) : fallback;
}

gboolean
pg_ipc_message_get_boolean(const PgIpcMessage *msg, const gchar *name, gboolean fallback)
{
	GVariant *value;

	g_return_val_if_fail(msg != NULL && name != NULL, fallback);
	value = pg_ipc_message_field_of_type(msg, name, G_VARIANT_TYPE_BOOLEAN);
	return value != NULL ? g_variant_get_boolean(value) : fallback;
}

GVariant *
pg_ipc_message_get_value(const PgIpcMessage *msg, const gchar *name)
{
	GVariant *value;

	g_return_val_if_fail(msg != NULL && name != NULL, NULL);
	value = pg_ipc_message_field(msg, name);
	return value != NULL ? g_variant_ref(value) : NULL;
}

PgSecret *
pg_ipc_message_dup_secret(const PgIpcMessage *msg, const gchar *name)
{
	const gchar *value = pg_ipc_message_get_string(msg, name);

	if (value == NULL)
		return NULL;
	return pg_secret_new_from_string(value);
}
