/* PgRegistry: the account registry on SQLite.
 *
 * DESIGN
 * - One row per (transport, user JID).  legacy_id is plaintext and indexed:
 *   inbound SMS and IRC traffic is routed by it.  Public registration fields
 *   are one serialised GVariant a{ss}.  All secret fields of a row are ONE
 *   sealed blob (PgVault, AES-256-GCM) whose associated data is
 *   "transport\0user_jid", so a blob copied into another row fails to unseal.
 * - The plaintext encoding of the secrets is our own length-prefixed format
 *   (below), built and parsed only inside PgSecret buffers, which wipe
 *   themselves; no GVariant or GString ever holds a password.
 * - WAL mode, synchronous=NORMAL: a commit survives a crash of the process;
 *   only pg_registry_rekey() needs durability against power loss too, and
 *   raises synchronous to FULL for its one transaction (pg-registry-rekey.c).
 * - The schema is versioned with PRAGMA user_version.  Migrations run forward
 *   only, all in one transaction (src/core/pg-schema.c, shared with the
 *   archive and the bridge store).  A file from a newer Polygate is refused
 *   before anything writes to it: unlike fwupd's history cache, this file
 *   holds credentials, so we never delete or rebuild it.
 * - Every query is a prepared statement with bound parameters.
 *
 * A SECOND BACKEND (PostgreSQL, shared by instances on several machines)
 * would keep pg-registry.h as it is and move the storage half of this
 * file behind a vtable of row operations, in the manner of bitlbee's
 * protocols/nogaim.h:
 *   open/migrate, get_row(transport, jid), find_row(transport, legacy_id),
 *   put_row(row) -> created, delete_row, list_rows(transport),
 *   reseal_all(callback) in one transaction, and check_key_ids(current id).
 * A row is (transport, user_jid, legacy_id, settings bytes, sealed bytes,
 * created_at, updated_at): the sealing, the AD, and the settings and secrets
 * encodings stay here, shared, so both backends store identical blobs and a
 * database can be copied from one to the other with its secrets still sealed.
 */
#define G_LOG_DOMAIN "PgRegistry"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "core/pg-schema.h"
#include "registry/pg-registry-private.h"
#include "registry/pg-registry.h"

/* Schema history (PRAGMA user_version):
 *   v0  empty file
 *   v1  table account (transport, user_jid, legacy_id, settings a{ss},
 *       secrets sealed, created_at, updated_at), index on (transport, legacy_id)
 *   v2  table sms_outbox, the durable SMS queue (pg-sms-queue.c): body sealed,
 *       state, attempts, next_attempt_at, legacy_id for delivery reports;
 *       indexes for the head of each (transport, user, recipient) queue, for
 *       due messages, and on (transport, legacy_id)
 *   v3  sms_outbox.want_receipt: the sender asked for a XEP-0184 receipt
 *       (kept with the message, so a delivery report after a restart still
 *       gets its receipt)
 *   v4  table sms_inbox (pg-sms-inbox.c): inbound SMS and delivery reports
 *       that arrived while the user could not be told, body sealed, kept
 *       until the component is back; index per (transport, user, id)
 * To change the schema: add a step to pg_registry_migrations[], bump this. */
#define PG_REGISTRY_SCHEMA_VERSION 4

/* pg_registry_migrations[v] upgrades schema v-1 to v; each may hold several statements. */
static const gchar *const pg_registry_migrations[PG_REGISTRY_SCHEMA_VERSION + 1] = {
    [1] = "CREATE TABLE account ("
	  "  transport TEXT NOT NULL,"
	  "  user_jid TEXT NOT NULL,"
	  "  legacy_id TEXT,"
	  "  settings BLOB NOT NULL,"
	  "  secrets BLOB,"
	  "  created_at INTEGER NOT NULL,"
	  "  updated_at INTEGER NOT NULL,"
	  "  PRIMARY KEY (transport, user_jid)"
	  ");"
	  "CREATE INDEX account_transport_legacy_id ON account (transport, legacy_id);",
    /* AUTOINCREMENT: an id is never reused, since it is part of the body's
     * associated data and may sit in a dlr-url or an XMPP error long after */
    [2] = "CREATE TABLE sms_outbox ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  transport TEXT NOT NULL,"
	  "  user_jid TEXT NOT NULL,"
	  "  recipient TEXT NOT NULL,"
	  "  body BLOB NOT NULL,"
	  "  xmpp_id TEXT,"
	  "  state TEXT NOT NULL CHECK (state IN "
	  "    ('queued', 'sending', 'accepted', 'delivered', 'failed')),"
	  "  attempts INTEGER NOT NULL DEFAULT 0,"
	  "  next_attempt_at INTEGER NOT NULL,"
	  "  created_at INTEGER NOT NULL,"
	  "  updated_at INTEGER NOT NULL,"
	  "  legacy_id TEXT,"
	  "  last_error TEXT"
	  ");"
	  /* the head of each queue: MIN(id) among its unfinished messages */
	  "CREATE INDEX sms_outbox_queue ON sms_outbox (transport, user_jid, recipient, id) "
	  "  WHERE state IN ('queued', 'sending');"
	  "CREATE INDEX sms_outbox_due ON sms_outbox (next_attempt_at, id) "
	  "  WHERE state = 'queued';"
	  "CREATE INDEX sms_outbox_legacy_id ON sms_outbox (transport, legacy_id) "
	  "  WHERE legacy_id IS NOT NULL;"
	  "CREATE INDEX sms_outbox_user ON sms_outbox (transport, user_jid, id);",
    [3] = "ALTER TABLE sms_outbox ADD COLUMN want_receipt INTEGER NOT NULL DEFAULT 0;",
    /* AUTOINCREMENT: the id orders a user's items and is in the body's AD */
    [4] = "CREATE TABLE sms_inbox ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  transport TEXT NOT NULL,"
	  "  user_jid TEXT NOT NULL,"
	  "  kind TEXT NOT NULL CHECK (kind IN ('sms', 'receipt', 'failure')),"
	  "  peer TEXT NOT NULL,"
	  "  body BLOB NOT NULL,"
	  "  xmpp_id TEXT,"
	  "  condition TEXT,"
	  "  error_type TEXT,"
	  "  created_at INTEGER NOT NULL"
	  ");"
	  "CREATE INDEX sms_inbox_user ON sms_inbox (transport, user_jid, id);",
};

/* Long enough to ride out a checkpoint or another process's short write. */
#define PG_REGISTRY_BUSY_TIMEOUT_MS 5000

#define PG_REGISTRY_ACCOUNT_COLUMNS                                                                \
	"transport, user_jid, legacy_id, settings, secrets, created_at, updated_at"

/* ---- SQLite helpers ---- */

gboolean
pg_registry_set_error(PgRegistry *self, GError **error, const gchar *what)
{
	g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "%s: %s: %s", self->path, what,
		    sqlite3_errmsg(self->db));
	return FALSE;
}

gboolean
pg_registry_prepare(PgRegistry *self, const gchar *sql, sqlite3_stmt **stmt, GError **error)
{
	if (sqlite3_prepare_v2(self->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return pg_registry_set_error(self, error, "cannot prepare a statement");
	return TRUE;
}

/* Steps @stmt until it is done, ignoring any rows (PRAGMAs may return one). */
gboolean
pg_registry_step_done(PgRegistry *self, sqlite3_stmt *stmt, GError **error)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return pg_registry_set_error(self, error, "cannot execute a statement");
	return TRUE;
}

/* Runs one or more ';'-separated statements, each prepared in turn. */
gboolean
pg_registry_exec(PgRegistry *self, const gchar *sql, GError **error)
{
	const gchar *tail = sql;

	while (tail != NULL && *tail != '\0') {
		g_autoptr(sqlite3_stmt) stmt = NULL;
		const gchar *next = NULL;

		if (sqlite3_prepare_v2(self->db, tail, -1, &stmt, &next) != SQLITE_OK)
			return pg_registry_set_error(self, error, "cannot prepare a statement");
		/* NULL for trailing whitespace or a comment */
		if (stmt != NULL && !pg_registry_step_done(self, stmt, error))
			return FALSE;
		tail = next;
	}
	return TRUE;
}

gboolean
pg_registry_begin(PgRegistry *self, GError **error)
{
	/* IMMEDIATE: take the write lock now, so a read-then-write transaction
	 * never fails half-way with SQLITE_BUSY when another writer appears */
	return pg_registry_exec(self, "BEGIN IMMEDIATE;", error);
}

gboolean
pg_registry_commit(PgRegistry *self, GError **error)
{
	return pg_registry_exec(self, "COMMIT;", error);
}

void
pg_registry_rollback(PgRegistry *self)
{
	g_autoptr(GError) error = NULL;

	/* some errors (SQLITE_FULL, SQLITE_IOERR) have rolled back already */
	if (sqlite3_get_autocommit(self->db))
		return;
	if (!pg_registry_exec(self, "ROLLBACK;", &error))
		g_warning("%s", error->message);
}

/* An empty blob must be bound as a zero-length blob, not as NULL */
void
pg_registry_bind_bytes(sqlite3_stmt *stmt, int index, GBytes *bytes)
{
	gsize len = 0;
	gconstpointer data = g_bytes_get_data(bytes, &len);

	sqlite3_bind_blob64(stmt, index, data != NULL ? data : "", len, SQLITE_TRANSIENT);
}

/* Returns: (transfer full) the blob in column @index, or NULL if it is SQL NULL. */
GBytes *
pg_registry_column_bytes(sqlite3_stmt *stmt, int index)
{
	const void *data;
	int len;

	if (sqlite3_column_type(stmt, index) == SQLITE_NULL)
		return NULL;
	data = sqlite3_column_blob(stmt, index);
	len = sqlite3_column_bytes(stmt, index);
	return g_bytes_new(data, (gsize)len);
}

/* ---- settings: GVariant a{ss}, sorted by key so equal maps store equal bytes ---- */

static GBytes *
pg_registry_settings_to_bytes(GHashTable *settings)
{
	g_autoptr(GVariant) variant = NULL;
	g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(settings), (GCompareFunc)strcmp);
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE("a{ss}"));
	for (GList *l = keys; l != NULL; l = l->next) {
		g_variant_builder_add(&builder, "{ss}", (const gchar *)l->data,
				      (const gchar *)g_hash_table_lookup(settings, l->data));
	}
	variant = g_variant_ref_sink(g_variant_builder_end(&builder));
	return g_variant_get_data_as_bytes(variant);
}

static void
pg_registry_settings_from_bytes(PgAccount *account, GBytes *bytes)
{
	g_autoptr(GVariant) variant = NULL;
	GVariantIter iter;
	const gchar *key, *value;

	if (bytes == NULL)
		return;
	/* untrusted: GVariant copes with any bytes, at worst yielding defaults */
	variant =
	    g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE("a{ss}"), bytes, FALSE));
	g_variant_iter_init(&iter, variant);
	while (g_variant_iter_next(&iter, "{&s&s}", &key, &value))
		pg_account_set_setting(account, key, value);
}

/* ---- secrets: sealed, length-prefixed plaintext ----
 *
 *   count (u32 BE), then count times: key length (u32 BE) | key | value length (u32 BE) | value
 */

static void
pg_registry_put_u32(guint8 **p, guint32 value)
{
	(*p)[0] = (guint8)(value >> 24);
	(*p)[1] = (guint8)(value >> 16);
	(*p)[2] = (guint8)(value >> 8);
	(*p)[3] = (guint8)value;
	*p += 4;
}

static gboolean
pg_registry_get_u32(const guint8 **p, const guint8 *end, guint32 *value)
{
	if (end - *p < 4)
		return FALSE;
	*value = (guint32)(*p)[0] << 24 | (guint32)(*p)[1] << 16 | (guint32)(*p)[2] << 8 |
		 (guint32)(*p)[3];
	*p += 4;
	return TRUE;
}

GBytes *
pg_registry_row_ad(const gchar *transport, const gchar *user_jid)
{
	gsize transport_len = strlen(transport);
	gsize user_jid_len = strlen(user_jid);
	guint8 *ad = g_malloc(transport_len + 1 + user_jid_len);

	memcpy(ad, transport, transport_len);
	ad[transport_len] = '\0';
	memcpy(ad + transport_len + 1, user_jid, user_jid_len);
	return g_bytes_new_take(ad, transport_len + 1 + user_jid_len);
}

static GBytes *
pg_registry_seal_secrets(PgRegistry *self, const gchar *transport, const gchar *user_jid,
			 GHashTable *secrets, GError **error)
{
	g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(secrets), (GCompareFunc)strcmp);
	g_autoptr(GBytes) ad = pg_registry_row_ad(transport, user_jid);
	g_autoptr(PgSecret) plain = NULL;
	gsize len = 4;
	guint8 *p;

	for (GList *l = keys; l != NULL; l = l->next) {
		const PgSecret *secret = g_hash_table_lookup(secrets, l->data);
		if (strlen(l->data) > G_MAXUINT32 || secret->len > G_MAXUINT32) {
			g_set_error_literal(error, PG_ERROR, PG_ERROR_CRYPTO,
					    "a secret is too large to store");
			return NULL;
		}
		len += 4 + strlen(l->data) + 4 + secret->len;
	}
	/* exact size up front: the buffer is never reallocated, so never copied */
	plain = pg_secret_new_take(g_malloc0(len + 1), len);
	p = plain->data;
	pg_registry_put_u32(&p, g_list_length(keys));
	for (GList *l = keys; l != NULL; l = l->next) {
		const PgSecret *secret = g_hash_table_lookup(secrets, l->data);
		gsize key_len = strlen(l->data);
		pg_registry_put_u32(&p, (guint32)key_len);
		memcpy(p, l->data, key_len);
		p += key_len;
		pg_registry_put_u32(&p, (guint32)secret->len);
		if (secret->len > 0)
			memcpy(p, secret->data, secret->len);
		p += secret->len;
	}
	g_assert((gsize)(p - plain->data) == len);
	return pg_vault_seal(self->vault, plain->data, plain->len, g_bytes_get_data(ad, NULL),
			     g_bytes_get_size(ad), error);
}

/* Unseals @sealed (the secrets column of the row) into @account's secrets. */
static gboolean
pg_registry_unseal_secrets(PgRegistry *self, PgAccount *account, GBytes *sealed, GError **error)
{
	g_autoptr(GBytes) ad = pg_registry_row_ad(account->transport, account->user_jid);
	g_autoptr(PgSecret) plain = NULL;
	const guint8 *p, *end;
	guint32 count = 0;

	plain = pg_vault_unseal(self->vault, sealed, g_bytes_get_data(ad, NULL),
				g_bytes_get_size(ad), error);
	if (plain == NULL) {
		g_prefix_error(error, "%s: secrets of %s on %s: ", self->path, account->user_jid,
			       account->transport);
		return FALSE;
	}
	p = plain->data;
	end = plain->data + plain->len;
	if (!pg_registry_get_u32(&p, end, &count))
		count = G_MAXUINT32; /* fails below */
	for (guint32 i = 0; i < count; i++) {
		guint32 key_len = 0, value_len = 0;
		g_autofree gchar *key = NULL;

		if (!pg_registry_get_u32(&p, end, &key_len) || (gsize)(end - p) < key_len) {
			count = G_MAXUINT32;
			break;
		}
		key = g_strndup((const gchar *)p, key_len);
		p += key_len;
		if (!pg_registry_get_u32(&p, end, &value_len) || (gsize)(end - p) < value_len) {
			count = G_MAXUINT32;
			break;
		}
		pg_account_set_secret(account, key, pg_secret_new(p, value_len));
		p += value_len;
	}
	/* authenticated, so only a bug of ours could get here */
	if (count == G_MAXUINT32 || p != end) {
		g_set_error(error, PG_ERROR, PG_ERROR_DATABASE,
			    "%s: secrets of %s on %s are not in the expected format", self->path,
			    account->user_jid, account->transport);
		return FALSE;
	}
	return TRUE;
}

/* ---- rows ---- */

const gchar *
pg_registry_column_text(sqlite3_stmt *stmt, int index)
{
	return (const gchar *)sqlite3_column_text(stmt, index);
}

/* @stmt is on a row of PG_REGISTRY_ACCOUNT_COLUMNS.  Returns: (transfer full). */
static PgAccount *
pg_registry_account_from_row(PgRegistry *self, sqlite3_stmt *stmt, GError **error)
{
	g_autoptr(PgAccount) account = NULL;
	g_autoptr(GBytes) settings = NULL;
	g_autoptr(GBytes) secrets = NULL;

	account = pg_account_new(pg_registry_column_text(stmt, 0), pg_registry_column_text(stmt, 1),
				 pg_registry_column_text(stmt, 2));
	settings = pg_registry_column_bytes(stmt, 3);
	pg_registry_settings_from_bytes(account, settings);
	secrets = pg_registry_column_bytes(stmt, 4);
	if (secrets != NULL && !pg_registry_unseal_secrets(self, account, secrets, error))
		return NULL;
	account->created_at = sqlite3_column_int64(stmt, 5);
	account->updated_at = sqlite3_column_int64(stmt, 6);
	return g_steal_pointer(&account);
}

/* Runs @stmt, expected to yield at most one account row.
 * Returns: (transfer full) the account, or NULL with PG_ERROR_ITEM_NOT_FOUND. */
static PgAccount *
pg_registry_query_one(PgRegistry *self, sqlite3_stmt *stmt, const gchar *what, GError **error)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_DONE) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no account for %s", what);
		return NULL;
	}
	if (rc != SQLITE_ROW) {
		pg_registry_set_error(self, error, "cannot read an account");
		return NULL;
	}
	return pg_registry_account_from_row(self, stmt, error);
}

/* ---- opening and migrating ---- */

static gboolean
pg_registry_ensure_file(const gchar *path, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	int fd;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved_errno = errno;
		g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "cannot create directory %s: %s",
			    dir, g_strerror(saved_errno));
		return FALSE;
	}
	/* create it ourselves so it is 0600 from its first byte; SQLite then
	 * gives the -wal and -shm files the same mode as the database */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		int saved_errno = errno;
		g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "cannot create %s: %s", path,
			    g_strerror(saved_errno));
		return FALSE;
	}
	if (fd >= 0)
		close(fd);
	return TRUE;
}

static gboolean
pg_registry_set_wal(PgRegistry *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	const gchar *mode;

	if (!pg_registry_prepare(self, "PRAGMA journal_mode = WAL;", &stmt, error))
		return FALSE;
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return pg_registry_set_error(self, error, "cannot switch to WAL mode");
	/* the pragma answers with the mode now in force */
	mode = pg_registry_column_text(stmt, 0);
	if (g_ascii_strcasecmp(mode != NULL ? mode : "", "wal") != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_DATABASE,
			    "%s: cannot switch to WAL mode (journal mode is %s)", self->path,
			    mode != NULL ? mode : "unknown");
		return FALSE;
	}
	return TRUE;
}

PgRegistry *
pg_registry_open(const gchar *path, PgVault *vault, GError **error)
{
	g_autoptr(PgRegistry) self = NULL;
	gint version = 0;
	int rc;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(vault != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self = g_new0(PgRegistry, 1);
	self->path = g_strdup(path);
	self->vault = vault;
	if (!pg_registry_ensure_file(path, error))
		return NULL;
	rc = sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		g_set_error(error, PG_ERROR, PG_ERROR_DATABASE, "cannot open %s: %s", path,
			    self->db != NULL ? sqlite3_errmsg(self->db) : sqlite3_errstr(rc));
		return NULL;
	}
	sqlite3_busy_timeout(self->db, PG_REGISTRY_BUSY_TIMEOUT_MS);

	/* before anything may write: refuse a newer schema with the file untouched */
	if (!pg_schema_get_version(self->db, path, &version, error) ||
	    !pg_schema_check_version(path, version, PG_REGISTRY_SCHEMA_VERSION, error))
		return NULL;

	if (!pg_registry_set_wal(self, error) ||
	    !pg_registry_exec(self, "PRAGMA synchronous = NORMAL;", error) ||
	    !pg_registry_exec(self, "PRAGMA foreign_keys = ON;", error))
		return NULL;
	if (!pg_schema_migrate(self->db, path, pg_registry_migrations, PG_REGISTRY_SCHEMA_VERSION,
			       error))
		return NULL;
	return g_steal_pointer(&self);
}

void
pg_registry_free(PgRegistry *self)
{
	if (self == NULL)
		return;
	/* every statement of ours is autoptr-finalized; close_v2 would still
	 * close cleanly, deferred, if one were ever left open */
	g_clear_pointer(&self->has_account, sqlite3_finalize);
	if (self->db != NULL && sqlite3_close_v2(self->db) != SQLITE_OK)
		g_warning("cannot close %s: %s", self->path, sqlite3_errmsg(self->db));
	g_free(self->path);
	g_free(self);
}

/* ---- accounts ---- */

static gboolean
pg_registry_put_account_locked(PgRegistry *self, const PgAccount *account, GBytes *settings,
			       GBytes *secrets, gboolean *created, GError **error)
{
	g_autoptr(sqlite3_stmt) select = NULL;
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	gboolean exists;
	int rc;

	if (!pg_registry_prepare(self,
				 "SELECT 1 FROM account WHERE transport = ?1 AND user_jid = ?2;",
				 &select, error))
		return FALSE;
	sqlite3_bind_text(select, 1, account->transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(select, 2, account->user_jid, -1, SQLITE_STATIC);
	rc = sqlite3_step(select);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return pg_registry_set_error(self, error, "cannot look up an account");
	exists = rc == SQLITE_ROW;

	if (!pg_registry_prepare(self,
				 exists ? "UPDATE account SET legacy_id = ?3, settings = ?4, "
					  "secrets = ?5, updated_at = ?6 "
					  "WHERE transport = ?1 AND user_jid = ?2;"
					: "INSERT INTO account (" PG_REGISTRY_ACCOUNT_COLUMNS ") "
					  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6);",
				 &stmt, error))
		return FALSE;
	sqlite3_bind_text(stmt, 1, account->transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, account->user_jid, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, account->legacy_id, -1, SQLITE_STATIC);
	pg_registry_bind_bytes(stmt, 4, settings);
	pg_registry_bind_bytes(stmt, 5, secrets);
	sqlite3_bind_int64(stmt, 6, now);
	if (!pg_registry_step_done(self, stmt, error))
		return FALSE;
	if (created != NULL)
		*created = !exists;
	return TRUE;
}

gboolean
pg_registry_put_account(PgRegistry *self, const PgAccount *account, gboolean *created,
			GError **error)
{
	g_autoptr(GBytes) settings = NULL;
	g_autoptr(GBytes) secrets = NULL;

	g_return_val_if_fail(self != NULL, FALSE);
	g_return_val_if_fail(account != NULL, FALSE);
	g_return_val_if_fail(account->transport != NULL && account->user_jid != NULL, FALSE);

	/* seal before taking the write lock: crypto need not hold up other writers */
	settings = pg_registry_settings_to_bytes(account->settings);
	secrets = pg_registry_seal_secrets(self, account->transport, account->user_jid,
					   account->secrets, error);
	if (secrets == NULL)
		return FALSE;
	if (!pg_registry_begin(self, error))
		return FALSE;
	if (!pg_registry_put_account_locked(self, account, settings, secrets, created, error)) {
		pg_registry_rollback(self);
		return FALSE;
	}
	return pg_registry_commit(self, error);
}

PgAccount *
pg_registry_get_account(PgRegistry *self, const gchar *transport, const gchar *user_jid,
			GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autofree gchar *what = NULL;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(transport != NULL, NULL);
	g_return_val_if_fail(user_jid != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT " PG_REGISTRY_ACCOUNT_COLUMNS " FROM account "
				 "WHERE transport = ?1 AND user_jid = ?2;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, user_jid, -1, SQLITE_STATIC);
	what = g_strdup_printf("%s on %s", user_jid, transport);
	return pg_registry_query_one(self, stmt, what, error);
}

PgAccount *
pg_registry_find_by_legacy_id(PgRegistry *self, const gchar *transport, const gchar *legacy_id,
			      GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autofree gchar *what = NULL;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(transport != NULL, NULL);
	g_return_val_if_fail(legacy_id != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT " PG_REGISTRY_ACCOUNT_COLUMNS " FROM account "
				 "WHERE transport = ?1 AND legacy_id = ?2 "
				 "ORDER BY created_at, user_jid LIMIT 1;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, legacy_id, -1, SQLITE_STATIC);
	what = g_strdup_printf("legacy id %s on %s", legacy_id, transport);
	return pg_registry_query_one(self, stmt, what, error);
}

gboolean
pg_registry_remove_account(PgRegistry *self, const gchar *transport, const gchar *user_jid,
			   GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	g_return_val_if_fail(self != NULL, FALSE);
	g_return_val_if_fail(transport != NULL, FALSE);
	g_return_val_if_fail(user_jid != NULL, FALSE);

	if (!pg_registry_prepare(self,
				 "DELETE FROM account WHERE transport = ?1 AND user_jid = ?2;",
				 &stmt, error))
		return FALSE;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, user_jid, -1, SQLITE_STATIC);
	if (!pg_registry_step_done(self, stmt, error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "no account for %s on %s",
			    user_jid, transport);
		return FALSE;
	}
	return TRUE;
}

GPtrArray *
pg_registry_list_accounts(PgRegistry *self, const gchar *transport, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autoptr(GPtrArray) accounts = NULL;
	int rc;

	g_return_val_if_fail(self != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT " PG_REGISTRY_ACCOUNT_COLUMNS " FROM account "
				 "WHERE ?1 IS NULL OR transport = ?1 "
				 "ORDER BY transport, user_jid;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	accounts = g_ptr_array_new_with_free_func((GDestroyNotify)pg_account_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		PgAccount *account = pg_registry_account_from_row(self, stmt, error);
		if (account == NULL)
			return NULL;
		g_ptr_array_add(accounts, account);
	}
	if (rc != SQLITE_DONE) {
		pg_registry_set_error(self, error, "cannot list accounts");
		return NULL;
	}
	return g_steal_pointer(&accounts);
}

GPtrArray *
pg_registry_list_user_jids(PgRegistry *self, const gchar *transport, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autoptr(GPtrArray) jids = NULL;
	int rc;

	g_return_val_if_fail(self != NULL && transport != NULL, NULL);

	if (!pg_registry_prepare(self,
				 "SELECT user_jid FROM account WHERE transport = ?1 ORDER BY user_jid;",
				 &stmt, error))
		return NULL;
	sqlite3_bind_text(stmt, 1, transport, -1, SQLITE_STATIC);
	jids = g_ptr_array_new_with_free_func(g_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(jids, g_strdup(pg_registry_column_text(stmt, 0)));
	if (rc != SQLITE_DONE) {
		pg_registry_set_error(self, error, "cannot list accounts");
		return NULL;
	}
	return g_steal_pointer(&jids);
}
