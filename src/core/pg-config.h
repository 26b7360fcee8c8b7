/* The daemon's configuration: one GKeyFile.
 *
 *   [polygate]            database, history_database, key_file, log_level, admins
 *   [xmpp]                host, port
 *   [http]                listen, port, max_connections, idle_timeout,
 *                         request_timeout, max_body (Kannel callbacks, /metrics, /healthz)
 *   [transport NAME]      jid, secret | secret_file, type, name, allowed_domains, ...
 *                         type = sms also: kannel_*, sms_retry_max_age, sms_dlr
 *                         per-user limits: max_*_per_user
 *                         type = irc also: irc_*, irc_allow, irc_deny
 *   [bridge NAME]         transport, channel, room, nick... (pg-config-bridge.h)
 *   [webirc NAME]         servers, password, gateway... (pg-config-ident.h)
 *
 * pg_config_load() validates everything at once and reports every problem,
 * one per line, as "FILE: [group] key: what is wrong".  An unknown group or
 * key is an error: it is usually an operator's typo.  Relative paths are
 * resolved against the directory of the config file.
 */
#pragma once

#include <glib.h>

#include "core/pg-config-bridge.h"
#include "core/pg-config-history.h"
#include "core/pg-config-ident.h"
#include "core/pg-config-options.h"
#include "core/pg-netpolicy.h"
#include "core/pg-protocol-info.h"
#include "core/pg-secret.h"

G_BEGIN_DECLS

typedef enum {
	PG_TRANSPORT_TYPE_IRC,
	PG_TRANSPORT_TYPE_SMS,
	PG_TRANSPORT_TYPE_PURPLE,
} PgTransportType;

typedef struct {
	gchar *name;              /* NAME of [transport NAME] */
	gchar *jid;               /* the component's domain, e.g. irc.example.org */
	PgSecret *secret;         /* XEP-0114 shared secret */
	PgTransportType type;
	gchar *display_name;      /* disco identity name */
	gchar **allowed_domains;  /* user domains allowed to register; "*" = anyone */
	gchar *irc_server;        /* irc: fixed server (JIDs may omit %server), or NULL */
	guint16 irc_port;         /* irc: port of every IRC server (default 6667) */
	gboolean irc_tls;         /* irc: TLS to the IRC server, when irc_tls_set */
	guint irc_throttle_burst;    /* irc: lines sent at once before throttling (default 5) */
	guint irc_throttle_interval; /* irc: seconds per line after the burst (default 2; 0 = off) */
	gchar *purple_protocol;   /* purple: libpurple protocol id, e.g. prpl-jabber */
	GPtrArray *option_overrides; /* purple: option.NAME & co (pg-config-options.h),
				      * element-type PgOptionOverride; NULL = none */
	/* purple: what its plugin declares, not read from the file but set by
	 * the daemon at start from the installed plugins
	 * (session/pg-protocol-probe.h), borrowed from the cache that outlives
	 * the transports; NULL before that, or if no plugin provides it.  The
	 * generic libpurple driver builds its form and logins from it
	 * (network/pg-purple-form.h). */
	const PgProtocolInfo *protocol_info;
	/* type = sms only (NULL / defaults on other types) */
	gchar *kannel_sendsms_url; /* sms: Kannel's sendsms URL (default
				    * http://127.0.0.1:13013/cgi-bin/sendsms) */
	gchar *kannel_username;    /* sms: sendsms-user username, or NULL */
	PgSecret *kannel_password; /* sms: sendsms-user password, or NULL (set iff username is) */
	PgSecret *kannel_token;    /* sms: the token= that Kannel's get-url and dlr-url carry;
				    * it names this transport to the HTTP listener.  Set
				    * whenever the listener is on (http_port != 0). */
	gchar *kannel_smsc;        /* sms: smsc-id to send through, or NULL for Kannel's routing */
	guint sms_retry_max_age;   /* sms: seconds an SMS not yet accepted by Kannel keeps
				    * being retried before it fails (default 3600) */
	gboolean sms_dlr;          /* sms: ask Kannel for delivery reports (default true) */
	/* per-user limits, checked by session/pg-limits.c; 0 = no limit */
	guint max_links_per_user;        /* irc: servers connected at once (default 5) */
	guint max_rooms_per_user;        /* irc: rooms joined at once (default 100) */
	guint max_lines_per_message;     /* irc: IRC lines one message may become (default 20) */
	guint max_queued_bytes_per_user; /* bytes of the user's commands waiting for their
					  * legacy connection (default 262144) */
	guint max_sms_per_minute_per_user; /* sms: texts taken in any 60 s (default 10) */
	guint max_sms_per_day_per_user;    /* sms: texts taken in any 24 h (default 200) */
	guint max_avatar_bytes_per_user; /* buddy-list networks: bytes of contacts' icons kept
					  * (default 8 MiB; 0 = no limit but the per-icon one) */
	guint max_contacts_per_user; /* legacy buddies shown as contacts, over all the user's
				      * links (default 5000; 1..100000, never unbounded: the
				      * list comes from an untrusted worker) */
	PgNetPolicy *irc_policy;   /* irc: irc_allow / irc_deny (never NULL on irc) */
	PgNetPorts *irc_user_ports; /* irc: the ports users may set per server
				     * (irc_user_ports; never NULL on irc) */
	gboolean irc_tls_set;      /* irc: irc_tls was given; else TLS unless the server is
				    * on loopback */
	gboolean irc_port_set;     /* irc: irc_port was given; else 6697 with TLS, 6667
				    * without */
	guint link_give_up_after; /* failed tries after which a link that never connected
				   * gives up (default 3; 0 = retry forever) */
	guint link_login_timeout; /* seconds a login may take before it counts as a failed
				   * try (default 120; 0 = wait for ever) */
	guint prompt_timeout;     /* seconds the user has to answer a network's question
				   * (libpurple prompt) before it is declined (default 120) */
	gchar *irc_charset;       /* irc: charset (ASCII-compatible) of IRC lines that are not
				   * UTF-8 (default WINDOWS-1252); NULL on other types */
	PgHistoryConfig *history; /* history* keys (pg-config-history.h), never NULL */
} PgTransportConfig;

/* The most max_contacts_per_user may say: what the daemon ever keeps of a
 * worker's buddy list per link (session/pg-roster.h). */
#define PG_CONFIG_MAX_CONTACTS_PER_USER_CEILING 100000

typedef struct {
	gchar *path;
	gchar *database;
	gchar *history_database;  /* the rooms' archive (default: database + ".history") */
	gchar *key_file;
	GLogLevelFlags log_level;
	gchar **admins;           /* bare JIDs of gateway admins (may be empty) */
	gchar *worker_path;       /* polygate-purple binary, or NULL for the default */
	guint users_per_worker;   /* legacy accounts per worker process (default 1) */
	guint max_concurrent_logins; /* legacy logins in flight at once (default 10) */
	gchar *xmpp_host;
	guint16 xmpp_port;
	gchar *http_listen;       /* IP address of the HTTP listener (default 127.0.0.1) */
	guint16 http_port;        /* its TCP port (default 8088); 0 = no HTTP listener */
	GPtrArray *transports;    /* element-type PgTransportConfig, owned */
	GPtrArray *bridges;       /* element-type PgBridgeConfig, owned (may be empty) */
	PgIdentConfig *ident;     /* identd_listen, ident_key_file, [webirc NAME]; never NULL */
	guint probe_timeout;      /* [xmpp] seconds the server has to confirm each online
				   * resource after a component connects (default 45) */
	guint max_links;          /* legacy connections of all users at once (default 1000;
				   * 0 = no limit), checked by session/pg-limits.c */
	gchar *worker_sandbox;    /* the workers' Landlock sandbox: required | best-effort
				   * (default) | off */
	/* [http] limits of the listener (src/http/pg-http-guard.c) */
	guint http_max_connections; /* open at once (default 64) */
	guint http_idle_timeout;    /* seconds a connection may wait for a byte (default 30) */
	guint http_request_timeout; /* seconds a whole request may take to arrive (default 10) */
	guint http_max_body;        /* bytes of a request body (default 65536) */
} PgConfig;

/* Returns: (transfer full) the config, or NULL with every problem in @error (PG_ERROR_CONFIG). */
PgConfig *pg_config_load(const gchar *path, GError **error);
/* As pg_config_load() but from text; @path is used in messages and for relative paths. */
PgConfig *pg_config_load_from_data(const gchar *data, const gchar *path, GError **error);
void pg_config_free(PgConfig *config);

const gchar *pg_transport_type_to_string(PgTransportType type);
gboolean pg_transport_type_from_string(const gchar *text, PgTransportType *type);

/* TRUE if @domain may use @transport (allowed_domains, "*" = any). */
gboolean pg_transport_config_allows_domain(const PgTransportConfig *transport, const gchar *domain);
/* The libpurple protocol id of a purple transport (purple_protocol, by
 * default prpl-jabber), NULL for other types. */
const gchar *pg_transport_config_get_purple_protocol(const PgTransportConfig *transport);
gboolean pg_config_is_admin(const PgConfig *config, const gchar *bare_jid);
/* The sms transport whose kannel_token is @token (@len bytes), compared in
 * constant time against every configured token; NULL if none matches.
 * Returns: (transfer none). */
const PgTransportConfig *pg_config_find_transport_by_kannel_token(const PgConfig *config,
								   const guint8 *token,
								   gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgConfig, pg_config_free)

G_END_DECLS
