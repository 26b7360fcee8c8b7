/* The IRC server gate (pg-irc-gate.h).
 *
 * DESIGN: one entry per (transport, server): the target once known, the
 * stanzas waiting for it (own references, in arrival order) and the
 * accounts whose login waits for it.  At most one resolution per entry is
 * in flight; it holds a GCancellable that pg_irc_gate_free() cancels, and
 * its callback owns nothing but a pointer to the entry, so a cancelled
 * callback touches nothing.  Entries expire (allowed after
 * PG_IRC_GATE_ALLOWED_S, refused after PG_IRC_GATE_REFUSED_S) and are swept
 * when a new one is made, so a user naming many servers leaves at most
 * PG_IRC_GATE_MAX_ENTRIES behind.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "core/pg-error.h"
#include "core/pg-netpolicy.h"
#include "session/pg-irc-gate.h"

#define PG_IRC_GATE_ALLOWED_S	300 /* re-resolved after this: addresses change */
#define PG_IRC_GATE_REFUSED_S	60
#define PG_IRC_GATE_MAX_ENTRIES 4096
#define PG_IRC_GATE_MAX_WAITING 200 /* stanzas per server while it is checked */

typedef struct {
	PgIrcGate *gate;
	PgTransport *transport;
	gchar *server;
	gboolean checking;
	gboolean known;
	gint64 expires;           /* monotonic µs */
	PgIrcTarget target;
	GCancellable *cancellable;
	GQueue *waiting;          /* xmpp_stanza_t (own reference) */
	GHashTable *accounts;     /* account keys whose login waits */
} PgIrcGateEntry;

struct _PgIrcGate {
	GHashTable *entries; /* "transport jid\nserver" -> PgIrcGateEntry */
	PgIrcGateRedispatch redispatch;
	PgIrcGateReady ready;
	gpointer user_data;
};

static void
pg_irc_target_clear(PgIrcTarget *target)
{
	g_clear_error(&target->error);
	g_clear_pointer(&target->addresses, g_strfreev);
	target->allowed = FALSE;
}

static void
pg_irc_gate_entry_free(PgIrcGateEntry *entry)
{
	if (entry->cancellable != NULL) {
		/* the callback sees the cancellation and frees nothing */
		g_cancellable_cancel(entry->cancellable);
		g_object_unref(entry->cancellable);
	}
	while (!g_queue_is_empty(entry->waiting)) {
		xmpp_stanza_t *stanza = g_queue_pop_head(entry->waiting);
		pg_transport_reply_error_code(entry->transport, stanza, PG_ERROR_SERVICE_UNAVAILABLE,
					      "the gateway is stopping");
		xmpp_stanza_release(stanza);
	}
	g_queue_free(entry->waiting);
	g_hash_table_unref(entry->accounts);
	pg_irc_target_clear(&entry->target);
	g_free(entry->server);
	g_free(entry);
}

PgIrcGate *
pg_irc_gate_new(PgIrcGateRedispatch redispatch, PgIrcGateReady ready, gpointer user_data)
{
	PgIrcGate *self = g_new0(PgIrcGate, 1);
	self->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)pg_irc_gate_entry_free);
	self->redispatch = redispatch;
	self->ready = ready;
	self->user_data = user_data;
	return self;
}

void
pg_irc_gate_free(PgIrcGate *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->entries);
	g_free(self);
}

/* ---------------------------------------------------------------- checking */

static gboolean
pg_irc_gate_is_fixed(const PgTransportConfig *config, const gchar *server)
{
	return config->irc_server != NULL && g_ascii_strcasecmp(config->irc_server, server) == 0;
}

/* TLS and port for these addresses (pg-irc-gate.h). */
static void
pg_irc_gate_choose_transport(const PgTransportConfig *config, const PgNetAddress *addresses,
			     gsize n, PgIrcTarget *target)
{
	gboolean all_loopback = n > 0;

	for (gsize i = 0; i < n; i++)
		all_loopback = all_loopback && pg_net_address_is_loopback(&addresses[i]);
	target->tls = config->irc_tls_set ? config->irc_tls : !all_loopback;
	target->port = config->irc_port_set ? config->irc_port : target->tls ? 6697 : 6667;
}

/* Decide @entry from the addresses its server has (or a resolver error). */
static void
pg_irc_gate_decide(PgIrcGateEntry *entry, const PgNetAddress *addresses, gsize n,
		   GError *resolve_error)
{
	const PgTransportConfig *config = pg_transport_get_config(entry->transport);
	GError *error = NULL;

	pg_irc_target_clear(&entry->target);
	entry->checking = FALSE;
	entry->known = TRUE;
	if (resolve_error != NULL) {
		g_set_error(&entry->target.error, PG_ERROR, PG_ERROR_REMOTE_SERVER_NOT_FOUND,
			    "cannot find the IRC server %s: %s", entry->server,
			    resolve_error->message);
		entry->expires = g_get_monotonic_time() + PG_IRC_GATE_REFUSED_S * G_USEC_PER_SEC;
		return;
	}
	pg_irc_gate_choose_transport(config, addresses, n, &entry->target);
	if (!pg_irc_gate_is_fixed(config, entry->server) &&
	    !pg_net_policy_check(config->irc_policy, entry->server, entry->target.port, addresses,
				 n, &error)) {
		entry->target.error = error;
		entry->expires = g_get_monotonic_time() + PG_IRC_GATE_REFUSED_S * G_USEC_PER_SEC;
		g_message("%s: refused the IRC server %s: %s", pg_transport_get_jid(entry->transport),
			  entry->server, error->message);
		return;
	}
	entry->target.allowed = TRUE;
	/* a name is pinned to what it resolved to; a literal is its own pin */
	if (!pg_net_address_parse(entry->server, &(PgNetAddress){0})) {
		entry->target.addresses = g_new0(gchar *, n + 1);
		for (gsize i = 0; i < n; i++)
			entry->target.addresses[i] = pg_net_address_to_string(&addresses[i]);
	}
	entry->expires = g_get_monotonic_time() + PG_IRC_GATE_ALLOWED_S * G_USEC_PER_SEC;
}

/* The waiting stanzas go on (or get the refusal); the waiting logins go on. */
static void
pg_irc_gate_release(PgIrcGateEntry *entry)
{
	PgIrcGate *self = entry->gate;
	PgTransport *transport = entry->transport;
	g_autoptr(GQueue) waiting = g_steal_pointer(&entry->waiting);
	g_autoptr(GHashTable) accounts = g_steal_pointer(&entry->accounts);
	g_autoptr(GError) error = g_steal_pointer(&entry->target.error);
	gboolean allowed = entry->target.allowed;
	GHashTableIter iter;
	gpointer account;

	entry->waiting = g_queue_new();
	entry->accounts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	entry->target.error = error != NULL ? g_error_copy(error) : NULL;
	/* @entry may go away from here on (a handler may sweep): use the copies */
	while (!g_queue_is_empty(waiting)) {
		xmpp_stanza_t *stanza = g_queue_pop_head(waiting);
		if (allowed)
			self->redispatch(transport, stanza, self->user_data);
		else
			pg_transport_reply_error(transport, stanza, error);
		xmpp_stanza_release(stanza);
	}
	g_hash_table_iter_init(&iter, accounts);
	while (g_hash_table_iter_next(&iter, &account, NULL))
		self->ready(account, self->user_data);
}

static void
pg_irc_gate_resolved_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgIrcGateEntry *entry = user_data;
	g_autoptr(GError) error = NULL;
	GList *list = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);
	g_autoptr(GArray) addresses = g_array_new(FALSE, TRUE, sizeof(PgNetAddress));

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the entry is gone */
	g_clear_object(&entry->cancellable);
	for (GList *l = list; l != NULL; l = l->next) {
		PgNetAddress address;
		gsize size = g_inet_address_get_native_size(l->data);
		if (size != 4 && size != 16)
			continue;
		pg_net_address_set(&address, g_inet_address_to_bytes(l->data), size);
		g_array_append_val(addresses, address);
	}
	g_resolver_free_addresses(list);
	if (error == NULL && addresses->len == 0)
		g_set_error_literal(&error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
				    "no address");
	pg_irc_gate_decide(entry, (PgNetAddress *)addresses->data, addresses->len, error);
	pg_irc_gate_release(entry);
}

static void
pg_irc_gate_sweep(PgIrcGate *self)
{
	GHashTableIter iter;
	gpointer value;
	gint64 now = g_get_monotonic_time();

	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgIrcGateEntry *entry = value;
		if (!entry->checking && entry->expires <= now)
			g_hash_table_iter_remove(&iter);
	}
}

/* The entry of @server, checked (known), being checked, or NULL (too many). */
static PgIrcGateEntry *
pg_irc_gate_entry(PgIrcGate *self, PgTransport *transport, const gchar *server)
{
	g_autofree gchar *key = g_strdup_printf("%s\n%s", pg_transport_get_jid(transport), server);
	const PgTransportConfig *config = pg_transport_get_config(transport);
	PgIrcGateEntry *entry = g_hash_table_lookup(self->entries, key);
	PgNetAddress literal;
	g_autoptr(GResolver) resolver = NULL;

	if (entry != NULL && (entry->checking || entry->expires > g_get_monotonic_time()))
		return entry;
	if (entry == NULL) {
		if (g_hash_table_size(self->entries) >= PG_IRC_GATE_MAX_ENTRIES)
			pg_irc_gate_sweep(self);
		if (g_hash_table_size(self->entries) >= PG_IRC_GATE_MAX_ENTRIES)
			return NULL;
		entry = g_new0(PgIrcGateEntry, 1);
		entry->gate = self;
		entry->transport = transport;
		entry->server = g_ascii_strdown(server, -1);
		entry->waiting = g_queue_new();
		entry->accounts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(self->entries, g_steal_pointer(&key), entry);
	}
	entry->known = FALSE;
	/* a literal address needs no resolving */
	if (pg_net_address_parse(entry->server, &literal)) {
		pg_irc_gate_decide(entry, &literal, 1, NULL);
		return entry;
	}
	/* what the name alone decides (both default ports, if the port depends
	 * on TLS), before asking any resolver about it */
	if (!pg_irc_gate_is_fixed(config, entry->server)) {
		g_autoptr(GError) error = NULL;
		guint16 port = config->irc_port_set ? config->irc_port : 6697;
		if (!pg_net_policy_check(config->irc_policy, entry->server, port, NULL, 0, &error) &&
		    (config->irc_port_set ||
		     !pg_net_policy_check(config->irc_policy, entry->server, 6667, NULL, 0, NULL))) {
			pg_irc_target_clear(&entry->target);
			entry->known = TRUE;
			entry->target.error = g_steal_pointer(&error);
			entry->expires =
			    g_get_monotonic_time() + PG_IRC_GATE_REFUSED_S * G_USEC_PER_SEC;
			return entry;
		}
	}
	entry->checking = TRUE;
	entry->cancellable = g_cancellable_new();
	resolver = g_resolver_get_default();
	g_resolver_lookup_by_name_async(resolver, entry->server, entry->cancellable,
					pg_irc_gate_resolved_cb, entry);
	return entry;
}

/* ---------------------------------------------------------------- API */

gboolean
pg_irc_gate_admit(PgIrcGate *self, PgTransport *transport, xmpp_stanza_t *stanza,
		  const gchar *server)
{
	g_autofree gchar *key = g_strdup_printf("%s\n%s", pg_transport_get_jid(transport), server);
	PgIrcGateEntry *entry = g_hash_table_lookup(self->entries, key);
	const gchar *name = xmpp_stanza_get_name(stanza);
	const gchar *type = xmpp_stanza_get_type(stanza);
	gboolean may_connect = g_strcmp0(name, "message") == 0 ? g_strcmp0(type, "error") != 0
							       : type == NULL;

	/* nothing overtakes what waits for this server */
	if (entry == NULL || !entry->checking) {
		if (!may_connect)
			return TRUE;
		entry = pg_irc_gate_entry(self, transport, server);
	}
	if (entry == NULL) {
		pg_transport_reply_error_code(transport, stanza, PG_ERROR_RESOURCE_CONSTRAINT,
					      "too many IRC servers are being looked up; try "
					      "again later");
		return FALSE;
	}
	if (entry->checking) {
		if (g_queue_get_length(entry->waiting) >= PG_IRC_GATE_MAX_WAITING) {
			pg_transport_reply_error_code(transport, stanza,
						      PG_ERROR_RESOURCE_CONSTRAINT,
						      "too many stanzas wait for this IRC server "
						      "to be looked up");
			return FALSE;
		}
		g_queue_push_tail(entry->waiting, xmpp_stanza_clone(stanza));
		return FALSE;
	}
	if (!entry->target.allowed) {
		pg_transport_reply_error(transport, stanza, entry->target.error);
		return FALSE;
	}
	return TRUE;
}

const PgIrcTarget *
pg_irc_gate_lookup(PgIrcGate *self, PgTransport *transport, const gchar *server,
		   const gchar *account)
{
	PgIrcGateEntry *entry = pg_irc_gate_entry(self, transport, server);

	if (entry == NULL) {
		/* too many servers in the table: try as if it had just been
		 * refused (the caller's retry comes back later) */
		static PgIrcTarget busy;
		g_clear_error(&busy.error);
		g_set_error_literal(&busy.error, PG_ERROR, PG_ERROR_RESOURCE_CONSTRAINT,
				    "too many IRC servers are being looked up");
		return &busy;
	}
	if (entry->checking) {
		g_hash_table_add(entry->accounts, g_strdup(account));
		return NULL;
	}
	return &entry->target;
}
