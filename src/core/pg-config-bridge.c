/* [bridge NAME] groups (pg-config-bridge.h): read one group, then check it
 * against the transports once every group is read. */
#include "config.h"

#include <string.h>

#include "core/pg-config-bridge-private.h"

#define PG_CONFIG_BRIDGE_DEFAULT_SUFFIX "[irc]"
#define PG_CONFIG_BRIDGE_DEFAULT_MULTILINE 4
#define PG_CONFIG_BRIDGE_DEFAULT_REPLAY_RATE 5
/* XEP-0410 self-pings: often enough to find a lost puppet, rarely enough
 * that a 500-nick channel's pings stay a trickle */
#define PG_CONFIG_BRIDGE_MIN_SELF_PING 5
#define PG_CONFIG_BRIDGE_MAX_SELF_PING 3600
#define PG_CONFIG_BRIDGE_DEFAULT_SELF_PING 300
/* Twice the 500-nick channel issue 11 measures (contrib/bench/bridge_bench.py
 * --crowd 500 must fit); a room's own max_users (ejabberd: 200 by default)
 * holds people out below it anyway (src/bridge/pg-bridge-limits.c) */
#define PG_CONFIG_BRIDGE_MAX_PUPPETS 100000
#define PG_CONFIG_BRIDGE_DEFAULT_MAX_PUPPETS 1000
#define PG_CONFIG_BRIDGE_MAX_LIMIT_RETRY 3600
#define PG_CONFIG_BRIDGE_DEFAULT_LIMIT_RETRY 30
/* per-occupant IRC connections: few by default (networks limit the
 * connections per host; an I-line is an operator's deal with the network) */
#define PG_CONFIG_BRIDGE_DEFAULT_OCCUPANT_CLIENTS 5
#define PG_CONFIG_BRIDGE_MAX_OCCUPANT_CLIENTS 1000
#define PG_CONFIG_BRIDGE_DEFAULT_OCCUPANT_IDLE (2 * 3600)
#define PG_CONFIG_BRIDGE_MIN_OCCUPANT_IDLE 10
#define PG_CONFIG_BRIDGE_MAX_OCCUPANT_IDLE (7 * 24 * 3600)
#define PG_CONFIG_BRIDGE_DEFAULT_OCCUPANT_SUFFIX "[x]"

static const gchar *const pg_config_bridge_keys[] = {
    "transport", "server", "port", "tls", "channel", "room", "nick",
    "sasl_password_file", "puppet_suffix", "phase", "moved_to", "web_link",
    "multiline_threshold", "multiline_policy", "kicks_to_room", "kicks_to_irc",
    "replay_rate", "import_time", "self_ping_interval", "max_puppets", "limit_retry",
    "bans_to_room", "irc_clients", "max_occupant_clients", "occupant_idle",
    "occupant_suffix", NULL};

void
pg_bridge_config_free(PgBridgeConfig *bridge)
{
	if (bridge == NULL)
		return;
	g_free(bridge->name);
	g_free(bridge->transport);
	g_free(bridge->server);
	g_free(bridge->channel);
	g_free(bridge->room);
	g_free(bridge->nick);
	pg_secret_free(bridge->sasl_password);
	g_free(bridge->puppet_suffix);
	g_free(bridge->moved_to);
	g_free(bridge->web_link);
	g_free(bridge->phase);
	g_free(bridge->multiline_policy);
	g_free(bridge->import_time);
	g_free(bridge->occupant_suffix);
	g_free(bridge);
}

/* An IRC nick or a puppet suffix: one word the server takes (RFC 2812
 * §2.3.1 letters, digits and special characters). */
static gboolean
pg_config_bridge_is_nick_text(const gchar *text)
{
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("[]\\`_^{|}-", *p) == NULL)
			return FALSE;
	}
	return text[0] != '\0';
}

static void
pg_config_bridge_load_words(PgConfigLoader *loader, const gchar *group, PgBridgeConfig *bridge)
{
	bridge->phase = pg_config_get_string(loader, group, "phase", FALSE);
	if (bridge->phase == NULL)
		bridge->phase = g_strdup("live");
	else if (g_strcmp0(bridge->phase, "live") != 0 && g_strcmp0(bridge->phase, "moved") != 0 &&
		 g_strcmp0(bridge->phase, "readonly") != 0)
		pg_config_problem(loader, group, "phase", "'%s' is not one of live, moved, readonly",
				  bridge->phase);
	bridge->multiline_policy = pg_config_get_string(loader, group, "multiline_policy", FALSE);
	if (bridge->multiline_policy == NULL)
		bridge->multiline_policy = g_strdup("refuse");
	else if (g_strcmp0(bridge->multiline_policy, "refuse") != 0 &&
		 g_strcmp0(bridge->multiline_policy, "summarise") != 0)
		pg_config_problem(loader, group, "multiline_policy",
				  "'%s' is not one of refuse, summarise", bridge->multiline_policy);
	bridge->kicks_to_room = pg_config_get_bool(loader, group, "kicks_to_room", TRUE);
	bridge->kicks_to_irc = pg_config_get_bool(loader, group, "kicks_to_irc", TRUE);
	bridge->bans_to_room = pg_config_get_bool(loader, group, "bans_to_room", TRUE);
	bridge->multiline_threshold = pg_config_get_uint(loader, group, "multiline_threshold", 1,
							 100, PG_CONFIG_BRIDGE_DEFAULT_MULTILINE);
	bridge->replay_rate = pg_config_get_uint(loader, group, "replay_rate", 1, 100,
						 PG_CONFIG_BRIDGE_DEFAULT_REPLAY_RATE);
	bridge->self_ping_s = pg_config_get_uint(
	    loader, group, "self_ping_interval", PG_CONFIG_BRIDGE_MIN_SELF_PING,
	    PG_CONFIG_BRIDGE_MAX_SELF_PING, PG_CONFIG_BRIDGE_DEFAULT_SELF_PING);
	bridge->max_puppets = pg_config_get_uint(loader, group, "max_puppets", 0,
						 PG_CONFIG_BRIDGE_MAX_PUPPETS,
						 PG_CONFIG_BRIDGE_DEFAULT_MAX_PUPPETS);
	bridge->limit_retry_s = pg_config_get_uint(loader, group, "limit_retry", 1,
						   PG_CONFIG_BRIDGE_MAX_LIMIT_RETRY,
						   PG_CONFIG_BRIDGE_DEFAULT_LIMIT_RETRY);
	bridge->import_time = pg_config_get_string(loader, group, "import_time", FALSE);
	if (bridge->import_time == NULL)
		bridge->import_time = g_strdup("both");
	else if (g_strcmp0(bridge->import_time, "delay") != 0 &&
		 g_strcmp0(bridge->import_time, "both") != 0)
		pg_config_problem(loader, group, "import_time", "'%s' is not one of delay, both",
				  bridge->import_time);
	bridge->moved_to = pg_config_get_string(loader, group, "moved_to", FALSE);
	if (bridge->moved_to != NULL && !g_str_has_prefix(bridge->moved_to, "xmpp:"))
		pg_config_problem(loader, group, "moved_to", "'%s' is not an xmpp: URI",
				  bridge->moved_to);
	bridge->web_link = pg_config_get_string(loader, group, "web_link", FALSE);
	if (bridge->web_link != NULL && !g_str_has_prefix(bridge->web_link, "https://") &&
	    !g_str_has_prefix(bridge->web_link, "http://"))
		pg_config_problem(loader, group, "web_link", "'%s' is not an http(s) link",
				  bridge->web_link);
	if (g_strcmp0(bridge->phase, "moved") == 0 && bridge->moved_to == NULL &&
	    bridge->web_link == NULL)
		pg_config_problem(loader, group, "phase",
				  "moved needs moved_to or web_link: where people should go");
}

/* "90", "90s", "30m", "2h", "1d": seconds, or 0 if it is none of these. */
static guint64
pg_config_bridge_parse_duration(const gchar *text)
{
	static const struct {
		gchar unit;
		guint64 seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 24 * 3600}};
	gchar *end = NULL;
	guint64 value;

	if (text == NULL || !g_ascii_isdigit(text[0]))
		return 0;
	value = g_ascii_strtoull(text, &end, 10);
	if (value > G_MAXUINT32)
		return 0;
	if (*end == '\0')
		return value;
	for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
		if (end[0] == units[i].unit && end[1] == '\0')
			return value * units[i].seconds;
	}
	return 0;
}

/* irc_clients and the per-occupant connections' settings. */
static void
pg_config_bridge_load_clients(PgConfigLoader *loader, const gchar *group, PgBridgeConfig *bridge)
{
	g_autofree gchar *mode = pg_config_get_string(loader, group, "irc_clients", FALSE);
	g_autofree gchar *idle = pg_config_get_string(loader, group, "occupant_idle", FALSE);

	if (mode != NULL && g_strcmp0(mode, "relay") != 0 && g_strcmp0(mode, "per-occupant") != 0)
		pg_config_problem(loader, group, "irc_clients", "'%s' is not one of relay, per-occupant",
				  mode);
	bridge->per_occupant = g_strcmp0(mode, "per-occupant") == 0;
	bridge->max_occupant_clients = pg_config_get_uint(
	    loader, group, "max_occupant_clients", 0, PG_CONFIG_BRIDGE_MAX_OCCUPANT_CLIENTS,
	    PG_CONFIG_BRIDGE_DEFAULT_OCCUPANT_CLIENTS);
	bridge->occupant_idle_s = PG_CONFIG_BRIDGE_DEFAULT_OCCUPANT_IDLE;
	if (idle != NULL) {
		guint64 seconds = pg_config_bridge_parse_duration(idle);
		if (seconds < PG_CONFIG_BRIDGE_MIN_OCCUPANT_IDLE ||
		    seconds > PG_CONFIG_BRIDGE_MAX_OCCUPANT_IDLE)
			pg_config_problem(loader, group, "occupant_idle",
					  "'%s' is not a duration from 10s to 7d (e.g. 90s, 30m, "
					  "2h)",
					  idle);
		else
			bridge->occupant_idle_s = (guint)seconds;
	}
	bridge->occupant_suffix = pg_config_get_string(loader, group, "occupant_suffix", FALSE);
	if (bridge->occupant_suffix == NULL)
		bridge->occupant_suffix = g_strdup(PG_CONFIG_BRIDGE_DEFAULT_OCCUPANT_SUFFIX);
	else if (!pg_config_bridge_is_nick_text(bridge->occupant_suffix))
		pg_config_problem(loader, group, "occupant_suffix",
				  "'%s' is not text an IRC nick may hold", bridge->occupant_suffix);
	if (!bridge->per_occupant &&
	    (g_key_file_has_key(loader->keyfile, group, "max_occupant_clients", NULL) ||
	     idle != NULL))
		pg_config_problem(loader, group, "irc_clients",
				  "max_occupant_clients and occupant_idle need irc_clients = "
				  "per-occupant");
}

PgBridgeConfig *
pg_config_bridge_load(PgConfigLoader *loader, const gchar *group)
{
	g_autoptr(PgBridgeConfig) bridge = g_new0(PgBridgeConfig, 1);
	g_autofree gchar *server = NULL;
	gboolean inline_secret = FALSE;

	bridge->name = g_strdup(group + strlen(PG_CONFIG_BRIDGE_PREFIX));
	if (bridge->name[0] == '\0' || !pg_config_bridge_is_nick_text(bridge->name))
		pg_config_problem(loader, group, NULL,
				  "a bridge needs a name of letters, digits, '-' or '_': "
				  "[bridge NAME]");
	{
		g_auto(GStrv) keys = g_key_file_get_keys(loader->keyfile, group, NULL, NULL);
		for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
			if (g_strcmp0(keys[i], "sasl_password") == 0)
				pg_config_problem(loader, group, keys[i],
						  "never put a password here: write it into a "
						  "0600 file and name it with sasl_password_file");
			else if (!g_strv_contains(pg_config_bridge_keys, keys[i]))
				pg_config_problem(loader, group, keys[i], "unknown key");
		}
	}
	bridge->transport = pg_config_get_string(loader, group, "transport", TRUE);
	if (bridge->transport == NULL)
		pg_config_problem(loader, group, "transport",
				  "missing: the NAME of the [transport NAME] it goes through");
	server = pg_config_get_string(loader, group, "server", FALSE);
	if (server != NULL)
		bridge->server = g_ascii_strdown(server, -1);
	bridge->port = (guint16)pg_config_get_uint(loader, group, "port", 1, 65535, 0);
	bridge->tls_set = g_key_file_has_key(loader->keyfile, group, "tls", NULL);
	bridge->tls = pg_config_get_bool(loader, group, "tls", FALSE);
	bridge->channel = pg_config_get_string(loader, group, "channel", TRUE);
	if (bridge->channel == NULL)
		pg_config_problem(loader, group, "channel", "missing: the channel, e.g. #project");
	else if (strchr("#&+!", bridge->channel[0]) == NULL || bridge->channel[1] == '\0' ||
		 strpbrk(bridge->channel, " ,\a") != NULL)
		pg_config_problem(loader, group, "channel", "'%s' is not an IRC channel",
				  bridge->channel);
	bridge->room = pg_config_get_string(loader, group, "room", TRUE);
	if (bridge->room == NULL)
		pg_config_problem(loader, group, "room",
				  "missing: the native room, e.g. project@conference.example.org");
	else if (!pg_config_is_valid_bare_jid(bridge->room))
		pg_config_problem(loader, group, "room", "'%s' is not a bare JID (room@service)",
				  bridge->room);
	bridge->nick = pg_config_get_string(loader, group, "nick", TRUE);
	if (bridge->nick == NULL)
		pg_config_problem(loader, group, "nick", "missing: the bridge's own IRC nick");
	else if (!pg_config_bridge_is_nick_text(bridge->nick) || g_ascii_isdigit(bridge->nick[0]))
		pg_config_problem(loader, group, "nick", "'%s' is not an IRC nick", bridge->nick);
	if (g_key_file_has_key(loader->keyfile, group, "sasl_password_file", NULL))
		bridge->sasl_password = pg_config_get_secret(loader, group, "sasl_password",
							     "sasl_password_file", NULL,
							     &inline_secret);
	bridge->puppet_suffix = pg_config_get_string(loader, group, "puppet_suffix", FALSE);
	if (bridge->puppet_suffix == NULL)
		bridge->puppet_suffix = g_strdup(PG_CONFIG_BRIDGE_DEFAULT_SUFFIX);
	else if (strpbrk(bridge->puppet_suffix, "/@\"&'<>:") != NULL)
		pg_config_problem(loader, group, "puppet_suffix",
				  "'%s' holds a character a room nick cannot", bridge->puppet_suffix);
	pg_config_bridge_load_words(loader, group, bridge);
	pg_config_bridge_load_clients(loader, group, bridge);
	return g_steal_pointer(&bridge);
}

/* Once every group is read: each bridge names an IRC transport and a
 * server, and no two bridges share a room. */
void
pg_config_bridge_check(PgConfigLoader *loader, GPtrArray *bridges, GHashTable *transport_types,
		       GHashTable *irc_servers)
{
	for (guint i = 0; i < bridges->len; i++) {
		PgBridgeConfig *bridge = g_ptr_array_index(bridges, i);
		g_autofree gchar *group = g_strconcat(PG_CONFIG_BRIDGE_PREFIX, bridge->name, NULL);
		const gchar *type = bridge->transport != NULL
					? g_hash_table_lookup(transport_types, bridge->transport)
					: NULL;
		const gchar *fixed = bridge->transport != NULL
					 ? g_hash_table_lookup(irc_servers, bridge->transport)
					 : NULL;

		if (bridge->transport != NULL && type == NULL)
			pg_config_problem(loader, group, "transport",
					  "no [transport %s] in this file", bridge->transport);
		else if (type != NULL && g_strcmp0(type, "irc") != 0)
			pg_config_problem(loader, group, "transport",
					  "[transport %s] is of type %s; only irc can be bridged "
					  "today",
					  bridge->transport, type);
		else if (type != NULL && bridge->server == NULL && fixed == NULL)
			pg_config_problem(loader, group, "server",
					  "missing: [transport %s] has no irc_server to default to",
					  bridge->transport);
		else if (type != NULL && bridge->server == NULL)
			bridge->server = g_strdup(fixed);
		for (guint j = i + 1; j < bridges->len; j++) {
			PgBridgeConfig *other = g_ptr_array_index(bridges, j);
			if (bridge->room != NULL && other->room != NULL &&
			    g_ascii_strcasecmp(bridge->room, other->room) == 0)
				pg_config_problem(loader, NULL, "room",
						  "[bridge %s] and [bridge %s] both bridge room %s",
						  bridge->name, other->name, bridge->room);
		}
	}
}
