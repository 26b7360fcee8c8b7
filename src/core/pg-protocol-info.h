/* PgProtocolInfo: what a libpurple protocol plugin declares about its
 * accounts, as the worker reads it (backends/purple/pg-purple-protocol.c)
 * and the daemon caches it (src/session/pg-protocol-probe.c): the account
 * options (prpl_info->protocol_options), the user splits that make up the
 * account name (prpl_info->user_splits), whether it needs a password, and
 * the fields of a chat join (prpl_info->chat_info).
 *
 * Plain records, no libpurple: the daemon never links it.  The typing rules
 * here (what a valid int, bool or list value is) are the ones both the form
 * (src/network/pg-purple-form.c) and --check-config apply, and the worker
 * reads the values the same way (backends/purple/pg-purple-login.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest value of an option the daemon accepts from a user or the config. */
#define PG_PROTOCOL_VALUE_MAX 1024

typedef enum {
	PG_PROTOCOL_OPTION_STRING,
	PG_PROTOCOL_OPTION_INT,
	PG_PROTOCOL_OPTION_BOOL,
	PG_PROTOCOL_OPTION_LIST,
} PgProtocolOptionType;

typedef enum {
	PG_PROTOCOL_PASSWORD_REQUIRED,
	PG_PROTOCOL_PASSWORD_OPTIONAL, /* OPT_PROTO_PASSWORD_OPTIONAL */
	PG_PROTOCOL_PASSWORD_NONE,     /* OPT_PROTO_NO_PASSWORD */
} PgProtocolPassword;

typedef struct {
	gchar *label;
	gchar *value;
} PgProtocolChoice;

typedef struct {
	gchar *setting;        /* libpurple setting name, e.g. connect_server */
	PgProtocolOptionType type;
	gchar *label;          /* the plugin's text, e.g. "Connect server" */
	gchar *default_value;  /* as text: decimal int, "true"/"false", a choice's value */
	gboolean masked;       /* a string the plugin asks to hide as it is typed */
	GPtrArray *choices;    /* element-type PgProtocolChoice; empty unless a list */
} PgProtocolOption;

typedef struct {
	gchar *label;          /* e.g. "Domain" */
	gchar *default_value;
	gchar separator;       /* e.g. '@' */
	gboolean reverse;      /* found from the end of the name (strrchr) */
	gchar *name;           /* "split." + the label in lower case, '_' for the rest */
} PgProtocolSplit;

typedef struct {
	gchar *identifier;
	gchar *label;
	gboolean required;
	gboolean is_int;
	gint min;
	gint max;
	gboolean secret;
} PgProtocolChatField;

typedef struct {
	gchar *id;             /* prpl-jabber */
	gchar *name;           /* XMPP */
	gchar *file;           /* absolute path of the plugin file */
	PgProtocolPassword password;
	gchar *username_label; /* the plugin's label for the account name, or NULL */
	/* XEP-0085 chat states can reach the buddy: the plugin sends typing
	 * notifications (PurplePluginProtocolInfo.send_typing != NULL) */
	gboolean typing;
	/* XEP-0184 receipts both ways: the worker has a delivery path for
	 * this plugin (backends/purple/pg-purple-receipts.c) */
	gboolean receipts;
	GPtrArray *options;    /* element-type PgProtocolOption */
	GPtrArray *splits;     /* element-type PgProtocolSplit */
	GPtrArray *chat_fields; /* element-type PgProtocolChatField */
} PgProtocolInfo;

/* Returns: (transfer full) an info with no options, splits or chat fields. */
PgProtocolInfo *pg_protocol_info_new(const gchar *id) G_GNUC_WARN_UNUSED_RESULT;
void pg_protocol_info_free(PgProtocolInfo *self);

/* Add to @self; every string is copied.
 * Returns: (transfer none) the new entry, owned by @self. */
PgProtocolOption *pg_protocol_info_add_option(PgProtocolInfo *self, const gchar *setting,
					      PgProtocolOptionType type, const gchar *label,
					      const gchar *default_value, gboolean masked);
void pg_protocol_option_add_choice(PgProtocolOption *option, const gchar *label,
				   const gchar *value);
PgProtocolSplit *pg_protocol_info_add_split(PgProtocolInfo *self, const gchar *label,
					    const gchar *default_value, gchar separator,
					    gboolean reverse);

/* Returns: (transfer none) the option with setting @setting, or NULL. */
const PgProtocolOption *pg_protocol_info_find_option(const PgProtocolInfo *self,
						     const gchar *setting);
/* Returns: (transfer none) the split named @name ("split.domain"), or NULL. */
const PgProtocolSplit *pg_protocol_info_find_split(const PgProtocolInfo *self,
						   const gchar *name);

const gchar *pg_protocol_option_type_to_string(PgProtocolOptionType type);
gboolean pg_protocol_option_type_from_string(const gchar *text, PgProtocolOptionType *type);
const gchar *pg_protocol_password_to_string(PgProtocolPassword password);
gboolean pg_protocol_password_from_string(const gchar *text, PgProtocolPassword *password);

/* A credential rather than a setting: sealed in the registry, a private
 * form field, never shown back.  The plugin says so for masked options;
 * plugins also keep tokens and passwords in plain string options
 * (purple-discord "token", purple-rocketchat "personal_access_token"), so a
 * string option whose setting names a password, token or secret is one. */
gboolean pg_protocol_option_is_secret(const PgProtocolOption *option);

/* Check @value for @option and write it the way the worker reads it: an
 * int in decimal within gint, a bool as "true"/"false" (XEP-0004 §3.3
 * booleans "1"/"0" are taken too), a list value among its choices, a
 * string of valid UTF-8 without control characters; none longer than
 * PG_PROTOCOL_VALUE_MAX bytes.
 * Returns: (transfer full) the value, or NULL with PG_ERROR_NOT_ACCEPTABLE
 * naming the option by its label. */
gchar *pg_protocol_option_normalize(const PgProtocolOption *option, const gchar *value,
				    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The account name from its first part and one value per split (NULL or
 * "" takes the split's default), as Pidgin's account dialog joins them:
 * each split adds its separator and its value, even an empty one.
 * Returns: (transfer full) */
gchar *pg_protocol_info_join_username(const PgProtocolInfo *self, const gchar *first,
				      const gchar *const *split_values) G_GNUC_WARN_UNUSED_RESULT;
/* The reverse, as Pidgin reads an account name back: splits are cut off
 * from the last to the first, each at its separator (the last one if
 * reverse, else the first).  Returns: (transfer full) n_splits + 1
 * strings: the first part, then one value per split ("" when absent). */
gchar **pg_protocol_info_split_username(const PgProtocolInfo *self, const gchar *username)
    G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgProtocolInfo, pg_protocol_info_free)

G_END_DECLS
