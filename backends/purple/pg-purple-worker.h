/* State shared by the files of polygate-purple.
 *
 * libpurple is a process-wide singleton full of globals, so the worker is
 * one too: a single PgPurpleWorker, reached with pg_purple_worker_get().
 * File-static state is therefore fine here, never in the daemon.
 */
#pragma once

#include <glib.h>
#include <purple.h>

#include "ipc/pg-ipc-channel.h"

G_BEGIN_DECLS

#define PG_PURPLE_UI_ID "polygate"
/* backends/purple-kannel: SMS through Kannel, with its own signals */
#define PG_PURPLE_SMS_PROTOCOL "prpl-polygate-sms"
/* its account setting for the id of the next message, and the id's limit */
#define PG_PURPLE_SETTING_NEXT_MESSAGE_ID "next-message-id"
#define PG_PURPLE_MESSAGE_ID_MAX 64

typedef enum {
	PG_PURPLE_LOGIN_CONNECTING,
	PG_PURPLE_LOGIN_CONNECTED,
	PG_PURPLE_LOGIN_DISCONNECTED,
} PgPurpleLoginState;

/* One legacy account, named by the daemon's opaque key. */
typedef struct {
	gchar *key;
	PurpleAccount *account;
	PgPurpleLoginState state;
	/* casefolded room name -> the name the daemon asked for */
	GHashTable *requested_rooms;
	/* IRC: NickServ password, sent once signed on, then wiped (nullable) */
	PgSecret *identify_password;
	/* the pinned certificate ("AB:CD:..."), or NULL (pg-purple-pin.c) */
	gchar *cert_sha256;
	/* why the pin refused the server, for the login's failure, or NULL */
	gchar *pin_failure;
	/* IRC: raw lines to send once signed on (after_connect), then wiped */
	PgSecret *after_connect;
	/* IRC: the WEBIRC line, sent before the registration, then wiped
	 * (pg-purple-ident.c) */
	PgSecret *webirc;
	/* login's deaf: its channel lines are not forwarded
	 * (pg_purple_events_receiving_chat_msg_cb) */
	gboolean deaf;
	/* IRC: casefolded room -> its own encoding (join-room's charset),
	 * pg-purple-lines.c */
	GHashTable *room_charsets;
} PgPurpleAccount;

typedef struct {
	GMainLoop *loop;
	PgIpcChannel *channel;
	/* key -> PgPurpleAccount (owned) */
	GHashTable *accounts;
	/* PurpleAccount* -> PgPurpleAccount (borrowed) */
	GHashTable *by_account;
	gint exit_code;
	/* the send-im being handed to libpurple, so that an "sms-sent" the SMS
	 * plugin reports synchronously (a refusal) carries its request id */
	guint32 sending_request;
} PgPurpleWorker;

PgPurpleWorker *pg_purple_worker_get(void);
/* pg_ipc_message_new() with the same arguments and the same message, built
 * without GVariant format strings (see pg-purple-worker.c). */
PgIpcMessage *pg_purple_worker_message_new(PgIpcKind kind, guint32 id, const gchar *first_field,
					   ...) G_GNUC_WARN_UNUSED_RESULT;
PgPurpleAccount *pg_purple_worker_lookup(PurpleAccount *account);
/* Send an event to the daemon; takes @msg.  Failures are logged: an event
 * that cannot be sent means the daemon is gone, and "closed" ends us. */
void pg_purple_worker_emit(PgIpcMessage *msg);
void pg_purple_worker_emit_error(const gchar *account, guint32 request, const GError *error);
void pg_purple_worker_quit(gint exit_code);
/* Resident set size of this process in KiB, 0 if unknown. */
guint64 pg_purple_worker_rss_kib(void);

G_END_DECLS
