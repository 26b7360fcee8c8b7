/* A worker that lies, for tests only (never installed): the unit tests
 * test-worker-policy.c and test-worker-sandbox.c, and a daemon started with
 * worker = hostile-worker (tests/integration/test_worker_trust.py).  The
 * daemon starts it exactly as it starts polygate-purple (--ipc-fd 3,
 * --plugin=..., --sandbox, --user-dir); it speaks the worker protocol, and
 * the protocol of its logins, "prpl-hostile-MODE", says how it misbehaves
 * once it holds a login (for a real protocol such as prpl-irc, a username
 * that starts with "liar" means the mode "liar"):
 *   foreign   the second login answers with a room message for an account
 *             the daemon never placed here ("mallory/irc")
 *   sms-sent  the first login answers with sms-sent, though this is no SMS
 *             worker
 *   late      after the logout of the first account, one more event for it
 *             (a race, not a lie), then a typing event for the second
 *   liar      every login answers with a room message in the name of an
 *             account the daemon never placed here ("mallory@evil/irc")
 *   probe     for each login option "open.N" = PATH, it tries to open PATH
 *             for reading (or, for "create.N", to create it), and answers
 *             with an error event whose text is "PATH: opened" or
 *             "PATH: <strerror>"; then "create" in its own dir likewise
 *   flood     a buddy list of N buddies (the username "NAME-N"; else
 *             PG_HOSTILE_FLOOD_BUDDIES, 100000), some with
 *             aliases, groups and status texts of hundreds of KiB, then
 *             events with odd fields (names with control characters, an
 *             unknown status, a prompt of an unknown type with 10000
 *             choices and a huge title), then one last IM from
 *             flood000000@legacy.example, "after the flood", so a test
 *             knows the daemon read all of it (pg_hostile_flood_cb); the
 *             first PG_HOSTILE_FLOOD_ICONS buddies get a 200 KiB icon each,
 *             one a 300 KiB one and one an icon that is no image
 * Every login is answered "connected" first, as a real worker would.  With
 * --sandbox it applies the worker's own sandbox (pg-purple-sandbox.c) to
 * --user-dir before it reads any command, as polygate-purple does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/pg-ipc-channel.h"
#include "ipc/pg-ipc-protocol-info.h"
#include "pg-purple-sandbox.h"

static gchar *pg_hostile_mode;
static guint pg_hostile_logins;
static GMainLoop *pg_hostile_loop;
static gchar *pg_hostile_second;
static gchar *pg_hostile_user_dir;

#define PG_HOSTILE_FLOOD_BUDDIES 100000
#define PG_HOSTILE_FLOOD_BIG	 (256 * 1024)
#define PG_HOSTILE_FLOOD_ICONS	 60
#define PG_HOSTILE_FLOOD_ICON	 (200 * 1024)
/* the worker's own queue toward the daemon is bounded
 * (PG_IPC_CHANNEL_QUEUE_MAX): the flood waits below it, as fast as the
 * daemon reads */
#define PG_HOSTILE_FLOOD_QUEUED	 (2 * 1024 * 1024)

typedef struct {
	PgIpcChannel *channel;
	gchar *account;
	guint next;
	guint count;
	gchar *big;
} PgHostileFlood;

static void
pg_hostile_send(PgIpcChannel *channel, PgIpcMessage *owned)
{
	g_autoptr(PgIpcMessage) msg = owned;
	g_autoptr(GError) error = NULL;

	if (!pg_ipc_channel_send(channel, msg, &error))
		g_printerr("hostile-worker: %s\n", error->message);
}

static void
pg_hostile_probe_one(PgIpcChannel *channel, const gchar *account, const gchar *path,
		     gboolean create)
{
	int fd = create ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
			: open(path, O_RDONLY | O_CLOEXEC);
	g_autofree gchar *text = g_strdup_printf("%s: %s", path,
						 fd >= 0 ? "opened" : g_strerror(errno));

	if (fd >= 0)
		close(fd);
	pg_hostile_send(channel, pg_ipc_message_new(
				     PG_IPC_EVT_ERROR, 0, "account", g_variant_new_string(account),
				     "condition", g_variant_new_string("undefined-condition"),
				     "text", g_variant_new_string(text), NULL));
}

static void
pg_hostile_probe(PgIpcChannel *channel, const PgIpcMessage *login)
{
	const gchar *account = pg_ipc_message_get_string(login, "account");
	g_autoptr(GVariant) options = pg_ipc_message_get_value(login, "options");
	g_autofree gchar *own = NULL;
	GVariantIter iter;
	const gchar *key;
	const gchar *value;

	if (options != NULL) {
		g_variant_iter_init(&iter, options);
		while (g_variant_iter_next(&iter, "{&s&s}", &key, &value))
			pg_hostile_probe_one(channel, account, value,
					     g_str_has_prefix(key, "create."));
	}
	own = g_build_filename(pg_hostile_user_dir != NULL ? pg_hostile_user_dir : "/nonexistent",
			       "probe", NULL);
	pg_hostile_probe_one(channel, account, own, TRUE);
}

static PgIpcMessage *
pg_hostile_room_message(const gchar *account)
{
	return pg_ipc_message_new(PG_IPC_EVT_ROOM_MESSAGE, 0, "account",
				  g_variant_new_string(account), "room", g_variant_new_string("#x"),
				  "from", g_variant_new_string("eve"), "body",
				  g_variant_new_string("in someone else's name"), "own",
				  g_variant_new_boolean(FALSE), NULL);
}

static PgIpcMessage *
pg_hostile_buddy(const gchar *account, const gchar *who, const gchar *alias, const gchar *group)
{
	return pg_ipc_message_new(PG_IPC_EVT_BUDDY, 0, "account", g_variant_new_string(account),
				  "who", g_variant_new_string(who), "alias",
				  alias != NULL ? g_variant_new_string(alias) : NULL, "group",
				  group != NULL ? g_variant_new_string(group) : NULL, NULL);
}

static PgIpcMessage *
pg_hostile_icon(const gchar *account, const gchar *who, gsize len, const gchar *type)
{
	g_autofree guint8 *data = g_malloc0(len);

	return pg_ipc_message_new(PG_IPC_EVT_BUDDY_ICON, 0, "account",
				  g_variant_new_string(account), "who", g_variant_new_string(who),
				  "data", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data, len, 1),
				  "type", g_variant_new_string(type), NULL);
}

static PgIpcMessage *
pg_hostile_presence(const gchar *account, const gchar *who, const gchar *status,
		    const gchar *message)
{
	return pg_ipc_message_new(PG_IPC_EVT_BUDDY_PRESENCE, 0, "account",
				  g_variant_new_string(account), "who", g_variant_new_string(who),
				  "status", g_variant_new_string(status), "message",
				  message != NULL ? g_variant_new_string(message) : NULL, NULL);
}

/* The odd ones, once the list is out: each must be refused or bounded. */
static void
pg_hostile_flood_odd(PgHostileFlood *flood)
{
	const gchar *account = flood->account;
	g_autofree gchar *long_name = g_strnfill(600, 'n');
	g_autoptr(GPtrArray) choices = g_ptr_array_new_with_free_func(g_free);

	pg_hostile_send(flood->channel, pg_hostile_buddy(account, "bell\a\x07", "x", NULL));
	pg_hostile_send(flood->channel, pg_hostile_buddy(account, "esc\x1b[31mred", NULL, NULL));
	pg_hostile_send(flood->channel, pg_hostile_buddy(account, "", NULL, NULL));
	pg_hostile_send(flood->channel, pg_hostile_buddy(account, long_name, NULL, NULL));
	pg_hostile_send(flood->channel, pg_hostile_buddy(account, "tab\there", NULL, NULL));
	pg_hostile_send(flood->channel, pg_hostile_presence(account, "flood000001@legacy.example",
							    "partying", NULL));
	pg_hostile_send(flood->channel, pg_hostile_presence(account, "flood000001@legacy.example",
							    "away", flood->big));
	for (guint i = 0; i < 10000; i++)
		g_ptr_array_add(choices, g_strdup_printf("choice %u", i));
	g_ptr_array_add(choices, NULL);
	pg_hostile_send(flood->channel,
			pg_ipc_message_new(PG_IPC_EVT_REQUEST, 0, "account",
					   g_variant_new_string(account), "prompt",
					   g_variant_new_uint32(7), "type",
					   g_variant_new_string("bogus"), "title",
					   g_variant_new_string(flood->big), "choices",
					   g_variant_new_strv((const gchar *const *)choices->pdata, -1),
					   NULL));
	pg_hostile_send(flood->channel,
			pg_ipc_message_new(PG_IPC_EVT_REQUEST, 0, "account",
					   g_variant_new_string(account), "prompt",
					   g_variant_new_uint32(8), "type",
					   g_variant_new_string("choice"), "title",
					   g_variant_new_string("no choices at all"), NULL));
	pg_hostile_send(flood->channel,
			pg_ipc_message_new(PG_IPC_EVT_TYPING, 0, "account",
					   g_variant_new_string(account), "from",
					   g_variant_new_string("flood000001@legacy.example"), "state",
					   g_variant_new_string("bogus"), NULL));
	pg_hostile_send(flood->channel,
			pg_ipc_message_new(PG_IPC_EVT_IM_RECEIVED, 0, "account",
					   g_variant_new_string(account), "from",
					   g_variant_new_string("flood000000@legacy.example"), "body",
					   g_variant_new_string("after the flood"), NULL));
}

/* One step of the flood: as many events as fit under the queue bound. */
static gboolean
pg_hostile_flood_cb(gpointer user_data)
{
	PgHostileFlood *flood = user_data;

	while (flood->next < flood->count) {
		guint i = flood->next;
		g_autofree gchar *who = g_strdup_printf("flood%06u@legacy.example", i);
		g_autofree gchar *alias = g_strdup_printf("Flood %u", i);

		if (pg_ipc_channel_get_queued_bytes(flood->channel) > PG_HOSTILE_FLOOD_QUEUED)
			return G_SOURCE_CONTINUE;
		pg_hostile_send(flood->channel,
				pg_hostile_buddy(flood->account, who,
						 i % 1000 == 0 ? flood->big : alias,
						 i % 1000 == 1 ? flood->big : "Flooders"));
		if (i < 300)
			pg_hostile_send(flood->channel,
					pg_hostile_presence(flood->account, who, "away",
							    i % 1000 == 2 ? flood->big
									  : "out flooding"));
		if (i < PG_HOSTILE_FLOOD_ICONS)
			pg_hostile_send(flood->channel,
					pg_hostile_icon(flood->account, who, PG_HOSTILE_FLOOD_ICON,
							"image/png"));
		if (i == PG_HOSTILE_FLOOD_ICONS)
			pg_hostile_send(flood->channel,
					pg_hostile_icon(flood->account, who, 300 * 1024, "image/png"));
		if (i == PG_HOSTILE_FLOOD_ICONS + 1)
			pg_hostile_send(flood->channel,
					pg_hostile_icon(flood->account, who, 1024, "text/html"));
		flood->next++;
	}
	pg_hostile_flood_odd(flood);
	g_free(flood->account);
	g_free(flood->big);
	g_free(flood);
	return G_SOURCE_REMOVE;
}

static void
pg_hostile_flood_start(PgIpcChannel *channel, const gchar *account, const gchar *username)
{
	PgHostileFlood *flood = g_new0(PgHostileFlood, 1);
	const gchar *dash = strrchr(username, '-');
	guint64 count = PG_HOSTILE_FLOOD_BUDDIES;

	if (dash != NULL)
		g_ascii_string_to_unsigned(dash + 1, 10, 1, PG_HOSTILE_FLOOD_BUDDIES, &count, NULL);
	flood->count = (guint)count;
	flood->channel = channel;
	flood->account = g_strdup(account);
	flood->big = g_strnfill(PG_HOSTILE_FLOOD_BIG, 'A');
	g_timeout_add(1, pg_hostile_flood_cb, flood);
}

static void
pg_hostile_login(PgIpcChannel *channel, const gchar *account, const gchar *protocol,
		 const gchar *username)
{
	if (pg_hostile_mode == NULL && g_str_has_prefix(username, "liar"))
		pg_hostile_mode = g_strdup("liar");
	if (pg_hostile_mode == NULL && g_str_has_prefix(protocol, "prpl-hostile-"))
		pg_hostile_mode = g_strdup(protocol + strlen("prpl-hostile-"));
	pg_hostile_logins++;
	pg_hostile_send(channel, pg_ipc_message_new(PG_IPC_EVT_LOGIN_STATE, 0, "account",
						    g_variant_new_string(account), "state",
						    g_variant_new_string("connected"), "fatal",
						    g_variant_new_boolean(FALSE), NULL));
	if (g_strcmp0(pg_hostile_mode, "liar") == 0)
		pg_hostile_send(channel, pg_hostile_room_message("mallory@evil/irc"));
	if (g_strcmp0(pg_hostile_mode, "foreign") == 0 && pg_hostile_logins == 2)
		pg_hostile_send(channel, pg_hostile_room_message("mallory/irc"));
	if (g_strcmp0(pg_hostile_mode, "sms-sent") == 0 && pg_hostile_logins == 1)
		pg_hostile_send(channel,
				pg_ipc_message_new(PG_IPC_EVT_SMS_SENT, 0, "account",
						   g_variant_new_string(account), "to",
						   g_variant_new_string("+15550100"), "message_id",
						   g_variant_new_string("1"), "outcome",
						   g_variant_new_uint32(0), NULL));
	if (g_strcmp0(pg_hostile_mode, "flood") == 0)
		pg_hostile_flood_start(channel, account, username);
	if (pg_hostile_logins == 2)
		pg_hostile_second = g_strdup(account);
}

static void
pg_hostile_message_cb(PgIpcChannel *channel, PgIpcMessage *msg, gpointer user_data)
{
	const gchar *account = pg_ipc_message_get_string(msg, "account");

	switch (msg->kind) {
	case PG_IPC_CMD_LOGIN:
		pg_hostile_login(channel, account, pg_ipc_message_get_string(msg, "protocol"),
				 pg_ipc_message_get_string(msg, "username"));
		if (g_strcmp0(pg_hostile_mode, "probe") == 0)
			pg_hostile_probe(channel, msg);
		return;
	case PG_IPC_CMD_LOGOUT:
		if (g_strcmp0(pg_hostile_mode, "late") != 0 || pg_hostile_second == NULL)
			return;
		pg_hostile_send(channel, pg_hostile_room_message(account));
		pg_hostile_send(channel, pg_ipc_message_new(
					     PG_IPC_EVT_TYPING, 0, "account",
					     g_variant_new_string(pg_hostile_second), "from",
					     g_variant_new_string("eve"), "state",
					     g_variant_new_string("typing"), NULL));
		return;
	case PG_IPC_PING:
		pg_hostile_send(channel, pg_ipc_message_new(PG_IPC_PONG, msg->id, NULL));
		return;
	case PG_IPC_CMD_PROTOCOL_INFO: {
		/* the daemon's one look at the plugins at start
		 * (src/session/pg-protocol-probe.h): any protocol is "ours",
		 * in a file this worker ignores like every --plugin */
		g_autoptr(PgProtocolInfo) info =
		    pg_protocol_info_new(pg_ipc_message_get_string(msg, "protocol"));
		info->file = g_strdup("/nonexistent/hostile-plugin.so");
		pg_hostile_send(channel, pg_ipc_protocol_info_to_message(info, msg->id));
		return;
	}
	case PG_IPC_CMD_SHUTDOWN:
		g_main_loop_quit(pg_hostile_loop);
		return;
	default:
		return;
	}
}

static void
pg_hostile_closed_cb(PgIpcChannel *channel, const GError *error, gpointer user_data)
{
	g_main_loop_quit(pg_hostile_loop);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PgIpcChannel) channel = NULL;
	g_autofree gchar *sandbox = NULL;
	g_auto(GStrv) plugins = NULL;
	gint ipc_fd = -1;
	const GOptionEntry entries[] = {
	    {"ipc-fd", 0, 0, G_OPTION_ARG_INT, &ipc_fd, NULL, NULL},
	    {"plugin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &plugins, NULL, NULL},
	    {"sandbox", 0, 0, G_OPTION_ARG_STRING, &sandbox, NULL, NULL},
	    {"user-dir", 0, 0, G_OPTION_ARG_FILENAME, &pg_hostile_user_dir, NULL, NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("hostile-worker: %s\n", error->message);
		return EXIT_FAILURE;
	}
	if (sandbox != NULL) {
		PgPurpleSandboxMode mode;
		gint abi;
		if (!pg_purple_sandbox_mode_from_string(sandbox, &mode) ||
		    !pg_purple_sandbox_apply(mode, pg_hostile_user_dir, NULL, &abi, &error)) {
			g_printerr("hostile-worker: sandbox %s: %s\n", sandbox,
				   error != NULL ? error->message : "unknown mode");
			return EXIT_FAILURE;
		}
	}
	channel = pg_ipc_channel_new(ipc_fd, PG_IPC_ROLE_WORKER, &error);
	if (channel == NULL) {
		g_printerr("hostile-worker: %s\n", error->message);
		return EXIT_FAILURE;
	}
	pg_hostile_loop = g_main_loop_new(NULL, FALSE);
	g_signal_connect(channel, "message", G_CALLBACK(pg_hostile_message_cb), NULL);
	g_signal_connect(channel, "closed", G_CALLBACK(pg_hostile_closed_cb), NULL);
	pg_hostile_send(channel, pg_ipc_message_new(PG_IPC_HELLO, 0, "version",
						    g_variant_new_uint32(PG_IPC_PROTOCOL_VERSION),
						    "program", g_variant_new_string("hostile"),
						    NULL));
	g_main_loop_run(pg_hostile_loop);
	pg_ipc_channel_flush(channel, 1000, NULL);
	g_main_loop_unref(pg_hostile_loop);
	g_free(pg_hostile_second);
	g_free(pg_hostile_mode);
	g_free(pg_hostile_user_dir);
	return EXIT_SUCCESS;
}
