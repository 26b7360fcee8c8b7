/* PgBridges: every configured bridge, their workers, and the tap on the
 * transports (pg-bridge.h).
 *
 * DESIGN: the bridges' IRC clients are accounts "bridge:NAME" of a
 * supervisor of their own (src/session/pg-supervisor.h): the same worker
 * program, sandbox and login queue as users' links, but their own worker
 * process (all bridges share one), their own private dirs
 * (<database>.bridge-workers) and no user's limits.  Events go to the
 * bridge the account names.
 *
 * The tap takes a stanza when its 'from' is a bridged room (or one of its
 * occupants) and its 'to' is on the transport: only the room ever writes to
 * the relay and the puppets.  IQ answers to the gateway's own requests keep
 * going to the transport.
 *
 * Bridges come from the config's [bridge NAME] groups and from admins'
 * bridge-create commands (pg-bridge-commands.c) on any transport whose
 * network has rooms.  A bridge made by command is kept in the store as its
 * group's text (pg-bridge-store-made.c) and made again at each start,
 * checked against that start's config; a config group of the same name
 * wins.  bridge-remove takes it away while the gateway runs.
 *
 * A made bridge's SASL password (the create form's text-private field) is
 * sealed by the registry's vault (registry/pg-vault.h, AES-256-GCM, the
 * bridge's name as associated data) before it reaches the store, and
 * unsealed into its config at each start: the bridge store holds no key
 * and no plain secret, and keeps the sealed blob in the made row, so that
 * it goes when the bridge does.  The vault is lent by main.c, as to the
 * registry; registry/ is below bridge/, so no cycle.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <string.h>

#include "bridge/pg-bridge.h"
#include "bridge/pg-bridge-private.h"
#include "core/pg-config-bridge-form.h"
#include "core/pg-error.h"
#include "network/pg-network.h"
#include "registry/pg-vault.h"
#include "session/pg-worker-dirs.h"
#include "stanza/pg-stanza.h"

#define PG_BRIDGES_ACCOUNT_PREFIX "bridge:"
#define PG_BRIDGES_MAX_LOGINS 4
/* Bridges' IRC clients per worker process: room for those made by command */
#define PG_BRIDGES_PER_WORKER 16

GHashTable *pg_bridge_irc_asking_new(void);

struct _PgBridges {
	const PgConfig *config;
	PgSupervisor *supervisor;
	GPtrArray *bridges;      /* PgBridge (owned) */
	GHashTable *by_account;  /* account -> PgBridge (borrowed) */
	PgBridgeStore *store;    /* consent, phase, id map, counters (pg-bridge-store.h) */
	GPtrArray *transports;   /* PgTransport (borrowed) whose network has rooms */
	GPtrArray *tapped;       /* PgTransport (borrowed) with our tap and commands */
	GPtrArray *pm_offered;   /* PgTransport (borrowed) offering its users
				  * bridge-private-messages: those with a bridge */
	GPtrArray *made;         /* PgBridgeConfig (owned): the bridges made by command */
	GPtrArray *not_started;  /* gchar *: why a bridge made by command did not start */
	PgBridgeCommandsContext commands;
	GHashTable *network_clients; /* server -> guint: occupant connections (pg-bridge-clients.c) */
	PgVault *vault;              /* borrowed (main.c): seals made bridges' SASL passwords */
};

/* What a sealed SASL password is bound to: its bridge (a blob copied to
 * another bridge's row does not open). */
static gchar *
pg_bridges_sasl_ad(const gchar *name)
{
	return g_strconcat("polygate bridge sasl_password ", name, NULL);
}

static PgBridge *pg_bridges_make_cb(gpointer manager, PgTransport *transport,
				    GHashTable *values, const gchar *by, GError **error);
static gboolean pg_bridges_remove_cb(gpointer manager, const gchar *name, gboolean keep_state,
				     GError **error);

/* XEP-0410 self-pings, every self_ping_interval of the bridge's config */
static gboolean
pg_bridges_ping_cb(gpointer user_data)
{
	pg_bridge_ping_all(user_data);
	return G_SOURCE_CONTINUE;
}

static void
pg_bridges_bridge_free(PgBridge *bridge)
{
	pg_bridge_link_stop(bridge);
	g_clear_pointer(&bridge->clients, pg_bridge_clients_free);
	g_clear_pointer(&bridge->replayer, pg_bridge_replayer_free);
	g_clear_handle_id(&bridge->affiliate_id, g_source_remove);
	g_clear_handle_id(&bridge->ping_id, g_source_remove);
	pg_bridge_room_free_puppets(bridge);
	pg_bridge_limits_free(bridge);
	pg_bridge_bans_free(bridge);
	g_hash_table_unref(bridge->puppets);
	g_hash_table_unref(bridge->by_jid);
	g_hash_table_unref(bridge->by_room_nick);
	g_hash_table_unref(bridge->xmpp_occupants);
	g_hash_table_unref(bridge->own_ids);
	g_queue_free_full(bridge->own_id_order, g_free);
	g_hash_table_unref(bridge->seen_ids);
	g_queue_free_full(bridge->seen_id_order, g_free);
	g_queue_free(bridge->affiliating);
	g_hash_table_unref(bridge->asking);
	g_free(bridge->account);
	g_free(bridge->server);
	g_free(bridge->jid);
	g_free(bridge->approved_by);
	g_free(bridge->relay_nick);
	g_free(bridge->last_error);
	g_free(bridge->limit);
	g_free(bridge);
}

static PgBridge *
pg_bridges_bridge_new(PgBridges *self, const PgBridgeConfig *config)
{
	PgBridge *bridge = g_new0(PgBridge, 1);

	bridge->config = config;
	bridge->supervisor = self->supervisor;
	bridge->account = g_strconcat(PG_BRIDGES_ACCOUNT_PREFIX, config->name, NULL);
	bridge->server = g_strdup(config->server);
	bridge->puppets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						pg_bridge_room_puppet_free);
	bridge->by_jid = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bridge->by_room_nick = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bridge->xmpp_occupants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	bridge->own_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bridge->own_id_order = g_queue_new();
	bridge->seen_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bridge->seen_id_order = g_queue_new();
	bridge->affiliating = g_queue_new();
	bridge->asking = pg_bridge_irc_asking_new();
	for (guint i = 0; i < self->config->transports->len; i++) {
		const PgTransportConfig *transport = g_ptr_array_index(self->config->transports, i);
		if (g_strcmp0(transport->name, config->transport) == 0)
			bridge->transport_config = transport;
	}
	bridge->jid = g_strdup_printf("bridge.%s@%s/%s", config->name,
				      bridge->transport_config->jid, PG_BRIDGE_RESOURCE);
	pg_bridge_render_policy_init(&bridge->policy);
	bridge->policy.max_lines = config->multiline_threshold;
	bridge->policy.summary_lines = MAX(config->multiline_threshold, 2) - 1;
	bridge->policy.above = g_strcmp0(config->multiline_policy, "summarise") == 0
				   ? PG_BRIDGE_OVERFLOW_SUMMARISE
				   : PG_BRIDGE_OVERFLOW_REFUSE;
	bridge->replayer = pg_bridge_replayer_new(bridge);
	if (config->per_occupant) {
		bridge->network_clients = g_hash_table_lookup(self->network_clients, bridge->server);
		if (bridge->network_clients == NULL) {
			bridge->network_clients = g_new0(guint, 1);
			g_hash_table_insert(self->network_clients, g_strdup(bridge->server),
					    bridge->network_clients);
		}
		bridge->clients = pg_bridge_clients_new(bridge);
	}
	return bridge;
}

/* The bridge of @account: its own client's "bridge:NAME", or one of its
 * occupant connections' "bridge:NAME:<id>" (a NAME has no ':'). */
static PgBridge *
pg_bridges_lookup(PgBridges *self, const gchar *account)
{
	const gchar *colon;
	g_autofree gchar *own = NULL;

	if (account == NULL || !g_str_has_prefix(account, PG_BRIDGES_ACCOUNT_PREFIX))
		return NULL;
	colon = strchr(account + strlen(PG_BRIDGES_ACCOUNT_PREFIX), ':');
	own = colon != NULL ? g_strndup(account, colon - account) : g_strdup(account);
	return g_hash_table_lookup(self->by_account, own);
}

static void
pg_bridges_event_cb(PgSupervisor *supervisor, const PgIpcMessage *msg, gpointer user_data)
{
	PgBridges *self = user_data;
	const gchar *account = pg_ipc_message_get_string(msg, "account");
	PgBridge *bridge = pg_bridges_lookup(self, account);

	if (bridge == NULL)
		return;
	if (g_strcmp0(account, bridge->account) == 0) {
		pg_bridge_irc_event(bridge, msg);
		return;
	}
	if (msg->kind == PG_IPC_EVT_IM_RECEIVED) {
		pg_bridge_clients_pm_event(bridge, msg);
		return;
	}
	pg_bridge_clients_event(bridge, msg);
	/* an occupant's connection is in the channel: if the bridge's own
	 * client saw its JOIN first and made a puppet of it, that goes */
	if (msg->kind == PG_IPC_EVT_ROOM_JOINED) {
		const gchar *nick = pg_ipc_message_get_string(msg, "nick");
		PgBridgePuppet *puppet = nick != NULL ? pg_bridge_room_lookup(bridge, nick) : NULL;
		if (puppet != NULL && pg_bridge_clients_claims(bridge, nick))
			pg_bridge_room_puppet_leave(puppet, NULL);
	}
}

static void
pg_bridges_account_lost_cb(PgSupervisor *supervisor, const gchar *account, const gchar *reason,
			   gpointer user_data)
{
	PgBridges *self = user_data;
	PgBridge *bridge = pg_bridges_lookup(self, account);

	if (bridge == NULL)
		return;
	if (g_strcmp0(account, bridge->account) != 0) {
		pg_bridge_clients_lost(bridge, account, reason);
		return;
	}
	g_warning("bridge %s: its worker is gone: %s", bridge->config->name,
		  reason != NULL ? reason : "no reason");
	pg_bridge_link_on_state(bridge, FALSE, reason);
}

static const PgSupervisorCallbacks pg_bridges_supervisor_callbacks = {
    .event = pg_bridges_event_cb,
    .account_lost = pg_bridges_account_lost_cb,
};

PgBridges *
pg_bridges_new(const PgConfig *config, const gchar *worker_path)
{
	PgBridges *self = g_new0(PgBridges, 1);
	guint accounts = 0;

	self->config = config;
	self->bridges = g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridges_bridge_free);
	self->by_account = g_hash_table_new(g_str_hash, g_str_equal);
	self->network_clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; i < config->bridges->len; i++) {
		const PgBridgeConfig *bridge = g_ptr_array_index(config->bridges, i);
		accounts += 1 + (bridge->per_occupant ? bridge->max_occupant_clients : 0);
	}
	/* one worker process for all the bridges' clients (and their
	 * occupants' connections) */
	self->supervisor = pg_supervisor_new(worker_path, MAX(accounts, PG_BRIDGES_PER_WORKER),
					     PG_BRIDGES_MAX_LOGINS,
					     &pg_bridges_supervisor_callbacks, self);
	self->transports = g_ptr_array_new();
	self->tapped = g_ptr_array_new();
	self->pm_offered = g_ptr_array_new();
	self->made = g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_config_free);
	self->not_started = g_ptr_array_new_with_free_func(g_free);
	self->commands = (PgBridgeCommandsContext){
	    .bridges = self->bridges,
	    .made = self->made,
	    .not_started = self->not_started,
	    .make = pg_bridges_make_cb,
	    .remove = pg_bridges_remove_cb,
	    .manager = self,
	};
	for (guint i = 0; i < config->bridges->len; i++) {
		PgBridge *bridge = pg_bridges_bridge_new(self, g_ptr_array_index(config->bridges, i));
		g_ptr_array_add(self->bridges, bridge);
		g_hash_table_insert(self->by_account, bridge->account, bridge);
	}
	return self;
}

void
pg_bridges_set_ident(PgBridges *self, PgIdent *ident)
{
	pg_supervisor_set_ident(self->supervisor, ident);
}

void
pg_bridges_set_vault(PgBridges *self, PgVault *vault)
{
	self->vault = vault;
}

void
pg_bridges_set_protocols(PgBridges *self, GHashTable *protocols)
{
	if (protocols != NULL)
		pg_supervisor_set_protocols(self->supervisor, protocols);
}

/* Whether @from (a stanza's 'from') is @room or one of its occupants. */
static gboolean
pg_bridges_from_room(const gchar *from, const gchar *room)
{
	gsize len = strlen(room);

	return from != NULL && g_ascii_strncasecmp(from, room, len) == 0 &&
	       (from[len] == '\0' || from[len] == '/');
}

static gboolean
pg_bridges_tap_stanza_cb(PgTransport *transport, xmpp_stanza_t *stanza, gpointer user_data)
{
	PgBridges *self = user_data;
	const gchar *from = xmpp_stanza_get_from(stanza);

	for (guint i = 0; i < self->bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(self->bridges, i);
		if (bridge->transport != transport ||
		    !pg_bridges_from_room(from, bridge->config->room))
			continue;
		/* answers to the transport's own IQs are the transport's */
		if (g_strcmp0(xmpp_stanza_get_name(stanza), "iq") == 0 &&
		    g_strcmp0(xmpp_stanza_get_to(stanza), bridge->jid) != 0 &&
		    g_hash_table_lookup(bridge->by_jid, xmpp_stanza_get_to(stanza)) == NULL)
			return FALSE;
		if (!pg_bridge_ping_stanza(bridge, stanza))
			pg_bridge_room_stanza(bridge, stanza);
		return TRUE;
	}
	return FALSE;
}

static void
pg_bridges_tap_connected_cb(PgTransport *transport, gboolean connected, gpointer user_data)
{
	PgBridges *self = user_data;

	for (guint i = 0; i < self->bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(self->bridges, i);
		if (bridge->transport != transport)
			continue;
		/* after a restart of the XMPP server nobody of ours is in the
		 * room: the relay joins again, then every puppet */
		pg_bridge_room_lost(bridge);
		if (connected)
			pg_bridge_room_enter(bridge);
	}
}

static const PgTransportTap pg_bridges_tap = {
    .stanza = pg_bridges_tap_stanza_cb,
    .connected = pg_bridges_tap_connected_cb,
};

/* The users' bridge-private-messages, once @transport has a bridge (a
 * gateway without bridges does not offer it to every user). */
static void
pg_bridges_offer_pm(PgBridges *self, PgTransport *transport)
{
	if (transport == NULL || g_ptr_array_find(self->pm_offered, transport, NULL))
		return;
	pg_bridge_clients_commands_add(transport, self->bridges);
	g_ptr_array_add(self->pm_offered, transport);
}

void
pg_bridges_add_transport(PgBridges *self, PgTransport *transport)
{
	const PgTransportConfig *config = pg_transport_get_config(transport);
	/* a network with rooms may have bridges made by command */
	gboolean rooms = pg_network_has(pg_network_for(config->type), PG_NETWORK_ROOMS);
	gboolean bridged = FALSE;

	for (guint i = 0; i < self->bridges->len; i++) {
		PgBridge *bridge = g_ptr_array_index(self->bridges, i);
		if (bridge->transport_config == config) {
			bridge->transport = transport;
			bridged = TRUE;
		}
	}
	if (rooms)
		g_ptr_array_add(self->transports, transport);
	if (rooms || bridged) {
		pg_transport_set_tap(transport, &pg_bridges_tap, self);
		pg_bridge_commands_add(transport, &self->commands);
		g_ptr_array_add(self->tapped, transport);
	}
	if (bridged)
		pg_bridges_offer_pm(self, transport);
}

/* The store is there: @bridge asks for its consent (or has it) and starts. */
static void
pg_bridges_bridge_start(PgBridges *self, PgBridge *bridge)
{
	bridge->store = self->store;
	pg_bridge_irc_load_consent(bridge);
	pg_bridge_link_connect(bridge);
	bridge->ping_id = g_timeout_add_seconds(bridge->config->self_ping_s, pg_bridges_ping_cb,
						bridge);
}

/* A bridge of @config (borrowed: self->made holds it) on its transport. */
static PgBridge *
pg_bridges_add_made(PgBridges *self, const PgBridgeConfig *config)
{
	PgBridge *bridge = pg_bridges_bridge_new(self, config);

	for (guint i = 0; i < self->transports->len; i++) {
		PgTransport *transport = g_ptr_array_index(self->transports, i);
		if (bridge->transport_config == pg_transport_get_config(transport))
			bridge->transport = transport;
	}
	g_ptr_array_add(self->bridges, bridge);
	g_hash_table_insert(self->by_account, bridge->account, bridge);
	pg_bridges_offer_pm(self, bridge->transport);
	return bridge;
}

/* Into @config, the SASL password kept sealed with it, if any. */
static gboolean
pg_bridges_unseal_sasl(PgBridges *self, PgBridgeConfig *config, GError **error)
{
	g_autoptr(GError) store_error = NULL;
	g_autoptr(GBytes) sealed =
	    pg_bridge_store_get_made_sasl(self->store, config->name, &store_error);
	g_autofree gchar *ad = NULL;

	if (store_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&store_error));
		return FALSE;
	}
	if (sealed == NULL)
		return TRUE;
	if (self->vault == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CRYPTO, "no vault to open it");
		return FALSE;
	}
	ad = pg_bridges_sasl_ad(config->name);
	g_clear_pointer(&config->sasl_password, pg_secret_free);
	config->sasl_password =
	    pg_vault_unseal(self->vault, sealed, (const guint8 *)ad, strlen(ad), error);
	return config->sasl_password != NULL;
}

/* The bridges made by command in an earlier run, each checked again against
 * this run's config; one that fails stays in the store, not started, and
 * the bridges command says why. */
static void
pg_bridges_load_made(PgBridges *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) made = pg_bridge_store_list_made(self->store, &error);

	if (made == NULL) {
		g_warning("bridges made by command: %s", error->message);
		return;
	}
	for (guint i = 0; i < made->len; i++) {
		g_autoptr(GError) problem = NULL;
		PgBridgeConfig *config = pg_config_bridge_form_parse(
		    self->config, g_ptr_array_index(made, i), self->made, &problem);

		if (config == NULL) {
			g_autofree gchar *text = g_strdup_printf(
			    "a bridge made by command did not start: %s", problem->message);
			g_warning("%s", text);
			g_ptr_array_add(self->not_started, g_steal_pointer(&text));
			continue;
		}
		if (!pg_bridges_unseal_sasl(self, config, &problem)) {
			g_autofree gchar *text = g_strdup_printf(
			    "bridge %s made by command did not start: its SASL password: %s",
			    config->name, problem->message);
			g_warning("%s", text);
			g_ptr_array_add(self->not_started, g_steal_pointer(&text));
			pg_bridge_config_free(config);
			continue;
		}
		g_ptr_array_add(self->made, config);
		pg_bridges_add_made(self, config);
	}
}

/* @values without the password (which the config text never holds), and
 * the password (XEP-0004 §3.3 text-private: neither logged nor echoed;
 * pg-bridge-commands.c).  @values wipes its own strings (stanza/pg-form.c). */
static GHashTable *
pg_bridges_take_sasl(GHashTable *values, PgSecret **password)
{
	GHashTable *rest = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter iter;
	gpointer key, value;

	*password = NULL;
	g_hash_table_iter_init(&iter, values);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (g_strcmp0(key, PG_CONFIG_BRIDGE_FORM_SASL_PASSWORD) != 0) {
			g_hash_table_insert(rest, key, value);
			continue;
		}
		if (value != NULL && ((gchar *)value)[0] != '\0')
			*password = pg_secret_new_from_string(value);
	}
	return rest;
}

static PgBridge *
pg_bridges_make_cb(gpointer manager, PgTransport *transport, GHashTable *values,
		   const gchar *by, GError **error)
{
	PgBridges *self = manager;
	g_autofree gchar *data = NULL;
	g_autofree gchar *ad = NULL;
	g_autoptr(PgBridgeConfig) config = NULL;
	g_autoptr(PgSecret) password = NULL;
	g_autoptr(GHashTable) rest = pg_bridges_take_sasl(values, &password);
	g_autoptr(GBytes) sealed = NULL;
	PgBridge *bridge;

	if (self->store == NULL) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
				    "the bridges have not started");
		return NULL;
	}
	data = pg_config_bridge_form_to_data(rest, pg_transport_get_config(transport)->name,
					     error);
	if (data == NULL)
		return NULL;
	config = pg_config_bridge_form_parse(self->config, data, self->made, error);
	if (config == NULL)
		return NULL;
	if (password != NULL) {
		const gchar *plain = pg_secret_get_string(password);

		if (self->vault == NULL) {
			g_set_error_literal(error, PG_ERROR, PG_ERROR_SERVICE_UNAVAILABLE,
					    PG_CONFIG_BRIDGE_FORM_SASL_PASSWORD ": no vault to keep it in");
			return NULL;
		}
		ad = pg_bridges_sasl_ad(config->name);
		sealed = pg_vault_seal(self->vault, (const guint8 *)plain, strlen(plain),
				       (const guint8 *)ad, strlen(ad), error);
		if (sealed == NULL)
			return NULL;
	}
	if (!pg_bridge_store_add_made(self->store, config->name, data, sealed, by,
				      g_get_real_time(), error))
		return NULL;
	config->sasl_password = g_steal_pointer(&password);
	g_message("bridge %s: made by %s: %s on %s <-> %s%s", config->name, by, config->channel,
		  config->server, config->room,
		  config->sasl_password != NULL ? " (SASL password sealed)" : "");
	bridge = pg_bridges_add_made(self, config);
	g_ptr_array_add(self->made, g_steal_pointer(&config));
	pg_bridges_bridge_start(self, bridge);
	return bridge;
}

static gboolean
pg_bridges_remove_cb(gpointer manager, const gchar *name, gboolean keep_state, GError **error)
{
	PgBridges *self = manager;
	PgBridge *bridge = NULL;
	const PgBridgeConfig *config;

	for (guint i = 0; i < self->bridges->len && bridge == NULL; i++) {
		PgBridge *candidate = g_ptr_array_index(self->bridges, i);
		if (g_strcmp0(candidate->config->name, name) == 0)
			bridge = candidate;
	}
	if (bridge == NULL) {
		g_set_error(error, PG_ERROR, PG_ERROR_ITEM_NOT_FOUND, "bridge: no bridge %s", name);
		return FALSE;
	}
	config = bridge->config;
	if (!g_ptr_array_find(self->made, config, NULL)) {
		g_set_error(error, PG_ERROR, PG_ERROR_NOT_ALLOWED,
			    "bridge: %s is the [bridge %s] group of the config file: remove the "
			    "group and restart the gateway",
			    name, name);
		return FALSE;
	}
	if (!pg_bridge_store_drop_made(self->store, name, error))
		return FALSE;
	/* XEP-0045 §7.14: the room sees its people go, then IRC the client */
	pg_bridge_room_leave_all(bridge, "The bridge was removed");
	pg_bridge_link_part(bridge);
	pg_bridge_link_stop(bridge);
	g_hash_table_remove(self->by_account, bridge->account);
	g_ptr_array_remove(self->bridges, bridge); /* frees it */
	g_ptr_array_remove(self->made, (gpointer)config);
	if (keep_state) {
		if (!pg_bridge_store_set_phase(self->store, name, "removed", g_get_real_time(),
					       error))
			return FALSE;
	} else if (!pg_bridge_store_remove(self->store, name, error)) {
		return FALSE;
	}
	g_message("bridge %s: removed by command (its state %s)", name,
		  keep_state ? "kept" : "dropped");
	return TRUE;
}

gboolean
pg_bridges_start(PgBridges *self, GError **error)
{
	g_autofree gchar *dirs = NULL;

	if (self->bridges->len == 0 && self->transports->len == 0)
		return TRUE;
	dirs = g_strconcat(self->config->database, ".bridge-workers", NULL);
	if (!pg_supervisor_set_worker_sandbox(self->supervisor, self->config->worker_sandbox, dirs,
					      error))
		return FALSE;
	{
		g_autofree gchar *path = pg_bridge_store_default_path(self->config->database);
		self->store = pg_bridge_store_open(path, error);
		if (self->store == NULL)
			return FALSE;
	}
	pg_bridges_load_made(self);
	for (guint i = 0; i < self->bridges->len; i++)
		pg_bridges_bridge_start(self, g_ptr_array_index(self->bridges, i));
	return TRUE;
}

guint
pg_bridges_get_n_bridges(PgBridges *self)
{
	return self->bridges->len;
}

/* Shutdown: the room sees the bridge's people go (XEP-0045 §7.14), with a
 * status saying why. */
static void
pg_bridges_say_goodbye(PgBridge *bridge)
{
	GHashTableIter iter;
	gpointer value;

	if (bridge->transport == NULL || !pg_transport_is_connected(bridge->transport))
		return;
	g_hash_table_iter_init(&iter, bridge->puppets);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		PgBridgePuppet *puppet = value;
		g_autoptr(xmpp_stanza_t) presence = NULL;
		g_autofree gchar *to = NULL;

		if (puppet->state == PG_BRIDGE_OCCUPANT_OUT || puppet->room_nick == NULL)
			continue;
		presence = xmpp_presence_new(pg_transport_get_ctx(bridge->transport));
		to = g_strdup_printf("%s/%s", bridge->config->room, puppet->room_nick);
		xmpp_stanza_set_type(presence, "unavailable");
		pg_stanza_set_from(presence, puppet->jid);
		pg_stanza_set_to(presence, to);
		pg_stanza_add_text_child(presence, "status", "The bridge is shutting down");
		pg_bridge_room_send(bridge, presence);
	}
	if (bridge->relay_state != PG_BRIDGE_OCCUPANT_OUT && bridge->relay_nick != NULL) {
		g_autoptr(xmpp_stanza_t) presence =
		    xmpp_presence_new(pg_transport_get_ctx(bridge->transport));
		g_autofree gchar *to = g_strdup_printf("%s/%s", bridge->config->room,
						       bridge->relay_nick);
		xmpp_stanza_set_type(presence, "unavailable");
		pg_stanza_set_from(presence, bridge->jid);
		pg_stanza_set_to(presence, to);
		pg_bridge_room_send(bridge, presence);
	}
}

void
pg_bridges_free(PgBridges *self)
{
	if (self == NULL)
		return;
	for (guint i = 0; i < self->bridges->len; i++)
		pg_bridges_say_goodbye(g_ptr_array_index(self->bridges, i));
	for (guint i = 0; i < self->tapped->len; i++) {
		PgTransport *transport = g_ptr_array_index(self->tapped, i);
		pg_transport_set_tap(transport, NULL, NULL);
		pg_bridge_commands_remove(transport);
		pg_bridge_clients_commands_remove(transport);
	}
	g_ptr_array_unref(self->tapped);
	g_ptr_array_unref(self->pm_offered);
	g_ptr_array_unref(self->transports);
	g_ptr_array_unref(self->bridges);
	/* after the bridges, which borrow them */
	g_ptr_array_unref(self->made);
	g_ptr_array_unref(self->not_started);
	g_hash_table_unref(self->by_account);
	pg_supervisor_free(self->supervisor);
	g_hash_table_unref(self->network_clients);
	g_clear_pointer(&self->store, pg_bridge_store_free);
	g_free(self);
}
