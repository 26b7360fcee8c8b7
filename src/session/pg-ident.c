/* Ident names, WEBIRC lines and the connections' claims; see pg-ident.h. */
#define G_LOG_DOMAIN "pg-ident"

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pg-error.h"
#include "session/pg-ident.h"

#define PG_IDENT_KEY_LEN 32
#define PG_IDENT_BRIDGE_PREFIX "bridge:"

typedef struct {
	gchar *account;
	gboolean disputed;
} PgIdentClaim;

struct _PgIdent {
	const PgIdentConfig *config;
	guint8 key[PG_IDENT_KEY_LEN];
	GHashTable *claims;   /* GUINT_TO_POINTER(local << 16 | remote) -> PgIdentClaim */
	GHashTable *accounts; /* account -> GQueue of pair keys, oldest first */
	GHashTable *owners;   /* account -> owner set by pg_ident_set_owner() */
	gboolean check_kernel;
};

static void
pg_ident_claim_free(PgIdentClaim *claim)
{
	g_free(claim->account);
	g_free(claim);
}

static void
pg_ident_queue_free(GQueue *queue)
{
	g_queue_free(queue);
}

PgIdent *
pg_ident_new_for_test(const PgIdentConfig *config, const guint8 *key)
{
	PgIdent *self = g_new0(PgIdent, 1);

	self->config = config;
	memcpy(self->key, key, PG_IDENT_KEY_LEN);
	self->claims = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					     (GDestroyNotify)pg_ident_claim_free);
	self->accounts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)pg_ident_queue_free);
	self->owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->check_kernel = TRUE;
	return self;
}

/* Read the key, or write a fresh one with O_EXCL (a racing start cannot
 * make two). */
static gboolean
pg_ident_load_key(const gchar *path, guint8 *key, GError **error)
{
	struct stat st;
	g_autofree gchar *text = NULL;
	gsize len = 0;
	g_autoptr(GError) read_error = NULL;

	if (stat(path, &st) != 0 && errno == ENOENT) {
		gchar hex[PG_IDENT_KEY_LEN * 2 + 2];
		int fd;

		if (RAND_bytes(key, PG_IDENT_KEY_LEN) != 1) {
			g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "no random bytes for %s",
				    path);
			return FALSE;
		}
		for (guint i = 0; i < PG_IDENT_KEY_LEN; i++)
			g_snprintf(hex + 2 * i, 3, "%02x", key[i]);
		hex[PG_IDENT_KEY_LEN * 2] = '\n';
		hex[PG_IDENT_KEY_LEN * 2 + 1] = '\0';
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) != 0) {
			g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "cannot write %s: %s", path,
				    g_strerror(errno));
			OPENSSL_cleanse(hex, sizeof(hex));
			if (fd >= 0)
				close(fd);
			return FALSE;
		}
		OPENSSL_cleanse(hex, sizeof(hex));
		close(fd);
		g_message("made a new ident key in %s", path);
		return TRUE;
	}
	if (stat(path, &st) != 0 || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO,
			    "%s: missing, or accessible by group or others (run: chmod 600 %s)",
			    path, path);
		return FALSE;
	}
	if (!g_file_get_contents(path, &text, &len, &read_error)) {
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "%s", read_error->message);
		return FALSE;
	}
	g_strstrip(text);
	if (strlen(text) != PG_IDENT_KEY_LEN * 2) {
		OPENSSL_cleanse(text, len);
		g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "%s: not %d hex digits", path,
			    PG_IDENT_KEY_LEN * 2);
		return FALSE;
	}
	for (guint i = 0; i < PG_IDENT_KEY_LEN; i++) {
		gint high = g_ascii_xdigit_value(text[2 * i]);
		gint low = g_ascii_xdigit_value(text[2 * i + 1]);
		if (high < 0 || low < 0) {
			OPENSSL_cleanse(text, len);
			g_set_error(error, PG_ERROR, PG_ERROR_CRYPTO, "%s: not hex", path);
			return FALSE;
		}
		key[i] = (guint8)(high << 4 | low);
	}
	OPENSSL_cleanse(text, len);
	return TRUE;
}

PgIdent *
pg_ident_new(const PgIdentConfig *config, GError **error)
{
	guint8 key[PG_IDENT_KEY_LEN];
	PgIdent *self;

	if (config->key_file == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CONFIG, "no ident_key_file");
		return NULL;
	}
	if (!pg_ident_load_key(config->key_file, key, error))
		return NULL;
	self = pg_ident_new_for_test(config, key);
	OPENSSL_cleanse(key, sizeof(key));
	return self;
}

void
pg_ident_free(PgIdent *self)
{
	if (self == NULL)
		return;
	OPENSSL_cleanse(self->key, sizeof(self->key));
	g_hash_table_unref(self->claims);
	g_hash_table_unref(self->accounts);
	g_hash_table_unref(self->owners);
	g_free(self);
}

void
pg_ident_set_check_kernel(PgIdent *self, gboolean check)
{
	self->check_kernel = check;
}

gchar *
pg_ident_owner_of(const gchar *account)
{
	const gchar *slash = strchr(account, '/');
	return slash != NULL ? g_strndup(account, (gsize)(slash - account)) : g_strdup(account);
}

void
pg_ident_set_owner(PgIdent *self, const gchar *account, const gchar *owner)
{
	if (owner == NULL)
		g_hash_table_remove(self->owners, account);
	else
		g_hash_table_insert(self->owners, g_strdup(account), g_strdup(owner));
}

void
pg_ident_forget_owner(PgIdent *self, const gchar *account)
{
	if (self != NULL)
		g_hash_table_remove(self->owners, account);
}

gchar *
pg_ident_get_owner(PgIdent *self, const gchar *account)
{
	const gchar *owner = g_hash_table_lookup(self->owners, account);
	return owner != NULL ? g_strdup(owner) : pg_ident_owner_of(account);
}

/* HMAC-SHA-256(key, @label NUL @owner): one hash per use, so that the
 * name, the host and the address of one owner are unrelated numbers. */
static void
pg_ident_hash(PgIdent *self, const gchar *label, const gchar *owner, guint8 out[32])
{
	g_autoptr(GByteArray) data = g_byte_array_new();
	unsigned int out_len = 32;

	g_byte_array_append(data, (const guint8 *)label, (guint)strlen(label) + 1);
	g_byte_array_append(data, (const guint8 *)owner, (guint)strlen(owner));
	if (HMAC(EVP_sha256(), self->key, PG_IDENT_KEY_LEN, data->data, data->len, out,
		 &out_len) == NULL)
		memset(out, 0, 32); /* never: SHA-256 is always there */
}

/* @n characters of RFC 4648 base 32 in lower case, from @hash. */
static void
pg_ident_base32(const guint8 *hash, guint n, GString *out)
{
	static const gchar alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	for (guint i = 0; i < n; i++) {
		guint bit = i * 5;
		guint value = ((guint)hash[bit / 8] << 8 | hash[bit / 8 + 1]) >> (11 - bit % 8);
		g_string_append_c(out, alphabet[value & 31]);
	}
}

gchar *
pg_ident_name(PgIdent *self, const gchar *owner)
{
	GString *name = g_string_new(NULL);
	guint8 hash[32];

	/* a bridge's own client answers with the bridge's name: a chanop sees
	 * which bridge it is (pg-bridge-link.c labels it so in its realname) */
	if (g_str_has_prefix(owner, PG_IDENT_BRIDGE_PREFIX) &&
	    strchr(owner + strlen(PG_IDENT_BRIDGE_PREFIX), ':') == NULL) {
		for (const gchar *p = owner + strlen(PG_IDENT_BRIDGE_PREFIX);
		     *p != '\0' && name->len < PG_IDENT_NAME_MAX; p++) {
			if (g_ascii_isalnum(*p) || *p == '-' || *p == '_')
				g_string_append_c(name, g_ascii_tolower(*p));
		}
		if (name->len > 0 && g_ascii_isalpha(name->str[0]))
			return g_string_free(name, FALSE);
		g_string_truncate(name, 0);
	}
	pg_ident_hash(self, "ident", owner, hash);
	g_string_append_c(name, 'x');
	pg_ident_base32(hash, PG_IDENT_NAME_MAX - 1, name);
	return g_string_free(name, FALSE);
}

gchar *
pg_ident_webirc_host(PgIdent *self, const PgWebircConfig *webirc, const gchar *owner)
{
	GString *host = g_string_new(NULL);
	guint8 hash[32];

	pg_ident_hash(self, "host", owner, hash);
	pg_ident_base32(hash, 12, host);
	g_string_append_printf(host, ".%s", webirc->host_suffix);
	return g_string_free(host, FALSE);
}

gchar *
pg_ident_webirc_ip(PgIdent *self, const PgWebircConfig *webirc, const gchar *owner)
{
	guint8 address[16];
	guint8 hash[32];
	gchar text[INET6_ADDRSTRLEN];

	if (!webirc->has_prefix)
		return g_strdup("127.0.0.1");
	pg_ident_hash(self, "ip", owner, hash);
	for (guint i = 0; i < 16; i++) {
		/* the prefix's bits, then the hash's */
		guint keep = webirc->prefix_len >= (i + 1) * 8 ? 8
			     : webirc->prefix_len > i * 8    ? webirc->prefix_len - i * 8
							     : 0;
		guint8 mask = keep == 0 ? 0 : (guint8)(0xffu << (8 - keep));
		address[i] = (guint8)((webirc->prefix[i] & mask) | (hash[i] & ~mask));
	}
	/* never the subnet-router anycast address (RFC 4291 §2.6.1) */
	address[15] |= 1;
	inet_ntop(AF_INET6, address, text, sizeof(text));
	/* a leading ':' would end the WEBIRC line's words (RFC 1459 §2.3.1) */
	if (text[0] == ':')
		return g_strconcat("0", text, NULL);
	return g_strdup(text);
}

/* The server of a prpl-irc username, "nick@server". */
static const gchar *
pg_ident_login_server(const PgIpcMessage *login)
{
	const gchar *username = pg_ipc_message_get_string(login, "username");
	const gchar *at = username != NULL ? strrchr(username, '@') : NULL;
	return at != NULL ? at + 1 : NULL;
}

PgIpcMessage *
pg_ident_attach_login(PgIdent *self, const gchar *account, PgIpcMessage *login)
{
	g_autoptr(PgIpcMessage) owned = login;
	const PgWebircConfig *webirc;
	g_autofree gchar *owner = NULL;
	g_autofree gchar *host = NULL;
	g_autofree gchar *ip = NULL;
	g_autoptr(PgSecret) line = NULL;
	GVariantBuilder fields;
	GVariantIter iter;
	const gchar *field;
	GVariant *value;
	gsize len;

	if (self == NULL || owned == NULL || owned->kind != PG_IPC_CMD_LOGIN ||
	    g_strcmp0(pg_ipc_message_get_string(owned, "protocol"), "prpl-irc") != 0)
		return g_steal_pointer(&owned);
	webirc = pg_ident_config_webirc_for(self->config, pg_ident_login_server(owned));
	if (webirc == NULL || webirc->password == NULL || webirc->host_suffix == NULL)
		return g_steal_pointer(&owned);
	owner = pg_ident_get_owner(self, account);
	host = pg_ident_webirc_host(self, webirc, owner);
	ip = pg_ident_webirc_ip(self, webirc, owner);
	/* IRCv3 WEBIRC: "WEBIRC password gateway hostname ip", built straight
	 * into a wiped buffer; the password is checked to be one word
	 * (pg-config-ident.c) */
	len = strlen("WEBIRC ") + webirc->password->len + 1 + strlen(webirc->gateway) + 1 +
	      strlen(host) + 1 + strlen(ip);
	line = pg_secret_new_take(g_malloc0(len + 1), len);
	{
		gsize at = 0;
		const gchar *parts[] = {" ", webirc->gateway, " ", host, " ", ip};
		memcpy(line->data, "WEBIRC ", 7);
		at = 7;
		memcpy(line->data + at, webirc->password->data, webirc->password->len);
		at += webirc->password->len;
		for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
			memcpy(line->data + at, parts[i], strlen(parts[i]));
			at += strlen(parts[i]);
		}
	}
	g_info("%s: WEBIRC as %s (%s) through [webirc %s]", account, host, ip, webirc->name);
	g_variant_builder_init(&fields, G_VARIANT_TYPE("a{sv}"));
	g_variant_iter_init(&iter, owned->fields);
	while (g_variant_iter_next(&iter, "{&sv}", &field, &value)) {
		if (g_strcmp0(field, "webirc") != 0)
			g_variant_builder_add(&fields, "{sv}", field, value);
		g_variant_unref(value);
	}
	g_variant_builder_add(&fields, "{sv}", "webirc", pg_ipc_variant_new_secret(line));
	return pg_ipc_message_new_from_fields(PG_IPC_CMD_LOGIN, owned->id,
					      g_variant_builder_end(&fields));
}

/* Claims ------------------------------------------------------------------ */

static gpointer
pg_ident_pair(guint local_port, guint remote_port)
{
	return GUINT_TO_POINTER(local_port << 16 | remote_port);
}

void
pg_ident_claim(PgIdent *self, const gchar *account, guint local_port, guint remote_port)
{
	gpointer pair = pg_ident_pair(local_port, remote_port);
	PgIdentClaim *claim;
	GQueue *queue;

	if (local_port == 0 || local_port > 65535 || remote_port == 0 || remote_port > 65535) {
		g_message("%s: connection on ports %u, %u refused: not TCP ports", account,
			  local_port, remote_port);
		return;
	}
	claim = g_hash_table_lookup(self->claims, pair);
	if (claim != NULL && g_strcmp0(claim->account, account) == 0)
		return;
	if (claim != NULL) {
		/* two accounts say one connection is theirs: one of them lies */
		g_warning("%s claims the connection on ports %u, %u that %s claimed: "
			  "no ident is given for it",
			  account, local_port, remote_port, claim->account);
		claim->disputed = TRUE;
		return;
	}
	queue = g_hash_table_lookup(self->accounts, account);
	if (queue == NULL) {
		queue = g_queue_new();
		g_hash_table_insert(self->accounts, g_strdup(account), queue);
	}
	/* the oldest goes: a reconnect's new connection replaces the last one */
	while (g_queue_get_length(queue) >= PG_IDENT_CLAIMS_PER_ACCOUNT) {
		gpointer old = g_queue_pop_head(queue);
		PgIdentClaim *held = g_hash_table_lookup(self->claims, old);
		if (held != NULL && g_strcmp0(held->account, account) == 0)
			g_hash_table_remove(self->claims, old);
	}
	claim = g_new0(PgIdentClaim, 1);
	claim->account = g_strdup(account);
	g_hash_table_insert(self->claims, pair, claim);
	g_queue_push_tail(queue, pair);
	g_debug("%s: connection on ports %u, %u", account, local_port, remote_port);
}

void
pg_ident_forget(PgIdent *self, const gchar *account)
{
	GQueue *queue;

	if (self == NULL)
		return;
	queue = g_hash_table_lookup(self->accounts, account);
	if (queue == NULL)
		return;
	for (GList *l = queue->head; l != NULL; l = l->next) {
		PgIdentClaim *held = g_hash_table_lookup(self->claims, l->data);
		if (held != NULL && g_strcmp0(held->account, account) == 0)
			g_hash_table_remove(self->claims, l->data);
	}
	g_hash_table_remove(self->accounts, account);
}

/* One /proc/net/tcp* address "0100007F:1A0B" (the kernel prints each 32-bit
 * word of the address in host order, then the port). */
static gboolean
pg_ident_parse_proc_address(const gchar *text, guint8 *address, gsize *address_len, guint *port)
{
	const gchar *colon = strchr(text, ':');
	gsize hex_len = colon != NULL ? (gsize)(colon - text) : 0;
	guint64 number = 0;

	if (hex_len != 8 && hex_len != 32)
		return FALSE;
	for (gsize word = 0; word < hex_len / 8; word++) {
		g_autofree gchar *chunk = g_strndup(text + word * 8, 8);
		guint64 value = 0;
		guint32 host_order;
		if (!g_ascii_string_to_unsigned(chunk, 16, 0, G_MAXUINT32, &value, NULL))
			return FALSE;
		host_order = (guint32)value;
		memcpy(address + word * 4, &host_order, 4);
	}
	if (!g_ascii_string_to_unsigned(colon + 1, 16, 0, 65535, &number, NULL))
		return FALSE;
	*address_len = hex_len / 2;
	*port = (guint)number;
	return TRUE;
}

/* TRUE if the kernel has an established TCP connection from our
 * @local_port to @peer port @remote_port. */
static gboolean
pg_ident_kernel_has(GInetAddress *peer, guint local_port, guint remote_port)
{
	const gchar *files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	gsize peer_len = g_inet_address_get_native_size(peer);
	const guint8 *peer_bytes = g_inet_address_to_bytes(peer);
	static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	for (guint f = 0; f < G_N_ELEMENTS(files); f++) {
		g_autofree gchar *contents = NULL;
		g_auto(GStrv) lines = NULL;

		if (!g_file_get_contents(files[f], &contents, NULL, NULL))
			continue;
		lines = g_strsplit(contents, "\n", -1);
		for (guint i = 1; lines[i] != NULL; i++) {
			g_auto(GStrv) words = g_strsplit_set(g_strstrip(lines[i]), " ", -1);
			guint8 local[16], remote[16];
			gsize local_len, remote_len;
			guint lport, rport;
			const gchar *fields[4] = {NULL};
			guint n = 0;

			for (guint w = 0; words[w] != NULL && n < 4; w++) {
				if (words[w][0] != '\0')
					fields[n++] = words[w];
			}
			/* sl local rem st: 01 is TCP_ESTABLISHED */
			if (n < 4 || g_strcmp0(fields[3], "01") != 0 ||
			    !pg_ident_parse_proc_address(fields[1], local, &local_len, &lport) ||
			    !pg_ident_parse_proc_address(fields[2], remote, &remote_len, &rport) ||
			    lport != local_port || rport != remote_port)
				continue;
			if (remote_len == peer_len && memcmp(remote, peer_bytes, peer_len) == 0)
				return TRUE;
			/* an IPv4 peer of an IPv6 socket (::ffff:a.b.c.d) */
			if (remote_len == 16 && peer_len == 4 && memcmp(remote, mapped, 12) == 0 &&
			    memcmp(remote + 12, peer_bytes, 4) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

gboolean
pg_ident_is_claimed(PgIdent *self, guint local_port, guint remote_port)
{
	return g_hash_table_contains(self->claims, pg_ident_pair(local_port, remote_port));
}

gchar *
pg_ident_lookup(PgIdent *self, GInetAddress *querier, guint local_port, guint remote_port)
{
	PgIdentClaim *claim =
	    g_hash_table_lookup(self->claims, pg_ident_pair(local_port, remote_port));
	g_autofree gchar *owner = NULL;

	if (claim == NULL || claim->disputed)
		return NULL;
	if (self->check_kernel && !pg_ident_kernel_has(querier, local_port, remote_port)) {
		g_autofree gchar *who = g_inet_address_to_string(querier);
		g_info("identd: %s asked about %u, %u: no such connection to it", who, local_port,
		       remote_port);
		return NULL;
	}
	owner = pg_ident_get_owner(self, claim->account);
	return pg_ident_name(self, owner);
}
