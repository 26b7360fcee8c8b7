/* The worker protocol: THE CONTRACT between polygate and polygate-purple.
 *
 * A stream of frames over a socketpair: a 4-byte big-endian payload length,
 * then one serialised GVariant of type (usa{sv}) = (request id, kind, fields).
 * The payload is at most PG_IPC_FRAME_MAX bytes; a larger length prefix is a
 * protocol error and the peer is dropped.
 *
 * PG_IPC_MESSAGES below is the closed list of kinds.  It is not only
 * documentation: pg-ipc-message.c validates every frame against it, on encode
 * (a bug in the sender fails loudly there) and on decode (untrusted input).
 *
 * Each row: X(SYMBOL, "wire-name", direction, "field field ...").
 *   direction  BOTH (either side sends it), CMD (daemon -> worker),
 *              EVT (worker -> daemon).  "typing" and "room-message" exist in
 *              both directions with different fields: the receiver's role
 *              picks the row, so a worker can never send a command.
 *   field      name:type[flags], type a GVariant type string, flags:
 *              ?  optional (absent when not given; otherwise required)
 *              !  secret: the frame holding it is wiped when freed, and
 *                 readers take it with pg_ipc_message_dup_secret()
 *
 * Validation on receipt (pg_ipc_message_decode()): the payload must be a
 * GVariant (usa{sv}) in normal form (which also guarantees valid UTF-8 in
 * every 's'); the kind must be known for this direction; every required
 * field present with exactly its type; no field twice.  Unknown fields are
 * REJECTED, not ignored: both programs are built from the same tree, so an
 * unknown field means a version skew or a bug, and silently dropping it
 * (e.g. a misspelt "password") would hide that.  Any failure is a GError
 * (PG_ERROR_BAD_REQUEST), never a crash; the channel then drops the peer.
 *
 * Versioning: each side sends hello{version} first.  Any change to this
 * table that an old peer would reject (a new kind, a new field, a new
 * required field) bumps PG_IPC_PROTOCOL_VERSION; the daemon refuses a worker
 * with another version.
 *
 * Field meanings (strings are plain text, never HTML, in both directions):
 *   account      opaque key the daemon chooses per legacy account, e.g.
 *                "alice@example.org/irc"; every account-scoped message has it
 *   status       available | away | xa | dnd | offline
 *   state        login-state: connecting | connected | disconnected
 *                typing: a XEP-0085 §5 chat state, both ways: composing |
 *                paused | active | inactive | gone (the worker maps them
 *                onto libpurple's three typing states and reports
 *                composing, paused or active; backends/purple/
 *                pg-purple-chatstate.c)
 *   fatal        login-state: TRUE when retrying with the same settings is
 *                pointless (wrong password, invalid username...)
 *   change       room-occupant: join | part | quit | kick | nick | flags
 *                (flags: the occupant's flags changed to "flags", e.g. a
 *                MODE +o; same names as in occupants)
 *   room-admin   (daemon -> worker) action on room: kick nick (reason),
 *                ban mask (and kick nick, if given), unban mask (or
 *                nick: the mask its ban from here set), op, deop,
 *                voice, devoice nick, invite nick into room, bans (the ban
 *                list), nick (our nick: on IRC the connection's, in every
 *                room), notice nick reason, quit reason (the connection
 *                quits; done once sent).  The worker answers room-admin-done with the
 *                command's request id once the server confirmed (bans:
 *                masks, the list), or error with it (482: forbidden)
 *   room-invited (worker -> daemon) from invites us into room
 *   room-ban     (worker -> daemon) someone else (by) set (set TRUE) or
 *                lifted a ban mask in room (IRC MODE +b/-b); occupants:
 *                the room's people as "nick!user@host", or "nick" where
 *                the host is not known, so the daemon can tell whom the
 *                mask bans
 *   occupants    room-joined: (nick, flags) with flags a comma list of
 *                founder, op, halfop, voice (empty for none)
 *   own          room-message: TRUE for the echo of our own message
 *   condition    error: an RFC 6120 §8.3.3 condition name, e.g. item-not-found
 *   request      error: the id of the command that failed (0 if none)
 *   message_id   send-im (SMS): the id the SMS plugin puts in the dlr-url;
 *                sms-sent: the id of the message this answer is about
 *   outcome      sms-sent: 0 accepted by Kannel, 1 temporary failure (retry),
 *                2 permanent failure
 *   identify_password  login: for prpl-irc, the NickServ password; the worker
 *                sends "IDENTIFY <password>" to NickServ once signed on
 *   pin          login: for prpl-irc, the addresses the daemon resolved and
 *                checked for the server in the username; the worker connects
 *                to those only and never resolves the name itself
 *   charset      join-room: the room's own encoding (iconv's name, keeping
 *                ASCII): its lines that are not UTF-8 are read in it, and
 *                the user's lines to it are sent in it
 *                (backends/purple/pg-purple-lines.c)
 *   cert_sha256  login: the SHA-256 fingerprint ("AB:CD:...", 64 hex digits)
 *                of the one certificate the server may present over TLS;
 *                the worker accepts it without libpurple's checks or a
 *                prompt, and refuses any other (backends/purple/pg-purple-pin.c)
 *   deaf         login: TRUE for an account that speaks in its channels but
 *                whose channel lines nobody reads (a community bridge's
 *                connection for one XMPP occupant, src/bridge/pg-bridge-clients.c:
 *                the bridge's own client reads the channel); the worker
 *                does not forward them (room-message), saving one event
 *                per line per such account.  Its private messages, joins
 *                and parts still come.
 *   after_connect  login: for prpl-irc, raw IRC lines (joined by '\n', at
 *                most PG_IPC_AFTER_CONNECT_MAX_LINES of
 *                PG_IPC_AFTER_CONNECT_LINE_MAX bytes, no CR or NUL) the worker
 *                sends through prpl-irc's queue once signed on, after the
 *                NickServ IDENTIFY; a secret (they may hold passwords)
 *   prompt       request, answer: the worker's number for one libpurple
 *                prompt (request UiOps), unique while the worker lives
 *   type         request: action (pick one of choices: buttons), choice
 *                (pick one of choices: a list) or input (a line of text,
 *                masked: TRUE for a code or a password)
 *   choice       answer: the index into the request's choices;
 *   text         answer: the text of an input.  An answer with neither
 *                declines the prompt (the user said no, or did not answer
 *                in time); the worker then takes the prompt's negative
 *                answer (backends/purple/pg-purple-request.c).  An answer
 *                to a prompt that is gone (libpurple closed it) is dropped
 *                without an error: during a login the daemon takes any
 *                error for the login's failure
 *   key, value   account-state: one item of the account's state, e.g.
 *                "tls_peers/<host>" = the PEM of a server certificate the
 *                user accepted (libpurple's peer cache); no value removes
 *                it.  The daemon seals them in the registry with the
 *                account (src/session/pg-account-state.c), and gives them
 *                all back in
 *   state        login: key -> value, as account-state sent them
 *   options      login: protocol account options by libpurple setting name
 *                (prpl-irc: port, ssl, encoding, username, realname, sasl,
 *                ratelimit-interval, ratelimit-burst ...); values are parsed
 *                as the option's type (int, bool "true"/"false", string)
 *   protocol-info (command: the protocol id to describe; the event answers
 *                with the command's request id, or an error event with
 *                item-not-found if no loaded plugin has that id):
 *     protocol   the libpurple protocol id, e.g. prpl-jabber
 *     name       the plugin's name for it, e.g. "XMPP"
 *     file       the absolute path of the plugin file that declares it: how
 *                the daemon finds a plugin, never by guessing from the id
 *     password   required | optional (OPT_PROTO_PASSWORD_OPTIONAL) | none
 *                (OPT_PROTO_NO_PASSWORD)
 *     username_label  the plugin's own label for the account name, if any
 *                (prpl_info->get_account_text_table "login_label")
 *     options    prpl_info->protocol_options, in order: (setting, type,
 *                label, default, masked, choices) with type string | int |
 *                bool | list, default as text (int in decimal, bool
 *                "true"/"false", list: the value of its first choice) and
 *                choices the (label, value) pairs of a list (empty otherwise)
 *     splits     prpl_info->user_splits, in order: (label, default,
 *                separator (one character), reverse)
 *     chat_fields  prpl_info->chat_info: (identifier, label, required,
 *                is_int, min, max, secret).  No defaults: chat_info_defaults
 *                needs a signed-on connection (prpl-jabber reads its stream)
 *   buddy list (worker -> daemon): buddy{who, alias, group} for every buddy
 *                of the account once signed on, and for each buddy added
 *                later; buddy-removed{who} when one leaves the list;
 *                buddy-presence{who, status, message} when one's status
 *                changes (and once after its buddy event).  who is the
 *                legacy id as the plugin spells it (purple_buddy_get_name),
 *                alias the name shown for it, group its first group.  The
 *                daemon bounds each field and the count per account
 *                (src/session/pg-roster.h).
 *   list-rooms (daemon -> worker): the rooms the network lists (IRC LIST,
 *                libpurple's roomlist), at most max of them; the worker
 *                answers with room-list events: rooms (name, users, topic)
 *                in chunks, the last one with complete TRUE (and truncated
 *                TRUE if the network had more than max).  One list per
 *                account at a time, so the account names the list.  A list
 *                that cannot be had ends with complete TRUE and error (a
 *                text for the user)
 *   stamp        im-received: when the message was sent, Unix seconds (UTC),
 *                given only for a message the legacy network delivered late
 *                (kept offline, history): the plugin's time for it is older
 *                than the worker's clock (backends/purple/pg-purple-im.c).
 *                The daemon stamps it as XEP-0203 delayed delivery.
 *   receipt      XEP-0184 delivery receipts, a number naming one message:
 *                send-im: the daemon's number for a message whose sender
 *                asked for a receipt; the worker asks the buddy's client
 *                for one (prpl-jabber: <request xmlns='urn:xmpp:receipts'/>)
 *                and, when the buddy's client answers, sends
 *                receipt{from, receipt} (worker -> daemon) with that
 *                number.  im-received: the worker's number for a buddy's
 *                message that asked for a receipt; when the user's client
 *                confirms it, the daemon sends receipt{to, receipt}
 *                (daemon -> worker) and the worker answers the buddy.
 *                Each side keeps a bounded number of these per account;
 *                an unknown number is dropped without an error.
 *     typing     protocol-info: the plugin sends typing notifications
 *                (prpl_info->send_typing), so XEP-0085 chat states work
 *     receipts   protocol-info: the worker has the receipt path above
 *                for this plugin (backends/purple/pg-purple-receipts.c)
 *   buddy-icon   (worker -> daemon): the icon of buddy who changed: data,
 *                the image (at most backends/purple/pg-purple-icons.h's
 *                PG_PURPLE_ICON_MAX bytes), type its MIME type; neither
 *                when the buddy has no icon any more.  The daemon shows it
 *                as an XEP-0153 avatar (src/session/pg-contact-avatar.c).
 *   webirc       login: for prpl-irc, the whole IRCv3 WEBIRC line (no CR LF,
 *                at most PG_IPC_WEBIRC_LINE_MAX bytes), sent before the
 *                first line of the registration; a secret (it holds the
 *                network's WEBIRC password)
 *   connection   (worker -> daemon): the account's IRC connection is up
 *                from local_port to the server's remote_port (TCP), for
 *                the identd (RFC 1413); an untrusted claim, checked by the
 *                daemon (src/session/pg-ident.c)
 *   add-buddy, remove-buddy (daemon -> worker): the user added or removed
 *                the contact who in their XMPP roster; the worker adds it
 *                to, or removes it from, the legacy buddy list (and the
 *                plugin tells the server).  Removing an unknown buddy is
 *                not an error.
 */
#pragma once

#include <glib.h>

#include "core/pg-secret.h"

G_BEGIN_DECLS

/* v1: first version.
 * v2: login carries identify_password (IRC NickServ), sent by the worker
 *     right after sign-on.
 * v3: SMS: send-im may carry the message_id the plugin must use (so the
 *     daemon knows a delivery report's id before the send); inject-im hands
 *     an inbound SMS to the plugin's connection; sms-sent reports Kannel's
 *     answer to each send.
 * v4: login may carry pin, the checked addresses of the IRC server.
 * v5: request (worker -> daemon) and answer (daemon -> worker): libpurple's
 *     prompts reach the user; typing states are XEP-0085 names;
 *     account-state, and login's state, keep what a plugin must find again
 *     at the next login (a certificate the user accepted);
 *     protocol-info: what a plugin declares (options, user splits, password,
 *     chat fields) and which file it is in.
 * v6: buddy, buddy-removed (the legacy buddy list) and add-buddy,
 *     remove-buddy (the user's roster changes).
 * v7: room-admin (kick, ban, modes, invite, the ban list) and its answer
 *     room-admin-done; room-invited; room-occupant's change "flags".
 * v8: list-rooms and its answer room-list (the network's room list).
 * v9: im-received may carry stamp, the time of a message delivered late.
 * v10: buddy-icon, a buddy's picture (XEP-0153 avatars).
 * v11: login may carry cert_sha256, the certificate the user pinned.
 * v12: XEP-0184 receipts: send-im and im-received may carry receipt, and
 *     receipt goes both ways; protocol-info says typing and receipts.
 * v13: login may carry after_connect, raw IRC lines to send once signed on.
 * v14: join-room may carry charset, the room's own encoding.
 * v15: room-ban, a ban set or lifted in a room by someone else.
 * v16: login may carry webirc, the IRCv3 WEBIRC line sent before the
 *     registration; connection (worker -> daemon) gives the ports of an
 *     account's IRC connection for the identd (src/session/pg-ident.h).
 * v17: login may carry deaf: the account's channel lines are not forwarded. */
#define PG_IPC_PROTOCOL_VERSION 17
/* after_connect: at most this many lines, each of at most this many bytes
 * (RFC 2812 §2.3: 512 with CR LF; the rest is room to spare) */
#define PG_IPC_AFTER_CONNECT_MAX_LINES 10
#define PG_IPC_AFTER_CONNECT_LINE_MAX  400
/* webirc: "WEBIRC " + a password of at most 256 bytes + gateway, host, IP */
#define PG_IPC_WEBIRC_LINE_MAX 510
#define PG_IPC_FRAME_HEADER_SIZE 4
/* Largest payload accepted, header excluded. */
#define PG_IPC_FRAME_MAX (1024 * 1024)

#define PG_IPC_MESSAGES(X)                                                                        \
	/* both directions */                                                                     \
	X(HELLO, "hello", BOTH, "version:u program:s")                                            \
	X(PING, "ping", BOTH, "")                                                                 \
	X(PONG, "pong", BOTH, "")                                                                 \
	/* daemon -> worker */                                                                    \
	X(CMD_LOGIN, "login", CMD,                                                                \
	  "account:s protocol:s username:s password:s?! identify_password:s?! "                    \
	  "options:a{ss}? pin:as? state:a{ss}? cert_sha256:s? after_connect:s?! "                 \
	  "webirc:s?! deaf:b?")                                                                           \
	X(CMD_LOGOUT, "logout", CMD, "account:s")                                                 \
	X(CMD_SET_STATUS, "set-status", CMD, "account:s status:s message:s?")                     \
	X(CMD_SEND_IM, "send-im", CMD, "account:s to:s body:s message_id:s? receipt:u?")          \
	X(CMD_INJECT_IM, "inject-im", CMD, "account:s from:s body:s")                             \
	X(CMD_TYPING, "typing", CMD, "account:s to:s state:s")                                    \
	X(CMD_RECEIPT, "receipt", CMD, "account:s to:s receipt:u")                                \
	X(CMD_JOIN_ROOM, "join-room", CMD, "account:s room:s nick:s? password:s?! charset:s?")    \
	X(CMD_LEAVE_ROOM, "leave-room", CMD, "account:s room:s")                                  \
	X(CMD_ROOM_MESSAGE, "room-message", CMD, "account:s room:s body:s")                       \
	X(CMD_SET_ROOM_SUBJECT, "set-room-subject", CMD, "account:s room:s subject:s")            \
	X(CMD_ROOM_PRIVATE_MESSAGE, "room-private-message", CMD,                                  \
	  "account:s room:s nick:s body:s")                                                       \
	X(CMD_ADD_BUDDY, "add-buddy", CMD, "account:s who:s alias:s? group:s?")                   \
	X(CMD_REMOVE_BUDDY, "remove-buddy", CMD, "account:s who:s")                               \
	X(CMD_ANSWER, "answer", CMD, "account:s prompt:u choice:u? text:s?!")                     \
	X(CMD_ROOM_ADMIN, "room-admin", CMD,                                                      \
	  "account:s room:s action:s nick:s? mask:s? reason:s?")                                  \
	X(CMD_LIST_ROOMS, "list-rooms", CMD, "account:s max:u")                                   \
	X(CMD_SHUTDOWN, "shutdown", CMD, "")                                                      \
	X(CMD_PROTOCOL_INFO, "protocol-info", CMD, "protocol:s")                                  \
	/* worker -> daemon */                                                                    \
	X(EVT_LOGIN_STATE, "login-state", EVT, "account:s state:s reason:s? fatal:b")             \
	X(EVT_BUDDY_PRESENCE, "buddy-presence", EVT, "account:s who:s status:s message:s?")       \
	X(EVT_BUDDY, "buddy", EVT, "account:s who:s alias:s? group:s?")                           \
	X(EVT_BUDDY_REMOVED, "buddy-removed", EVT, "account:s who:s")                             \
	X(EVT_BUDDY_ICON, "buddy-icon", EVT, "account:s who:s data:ay? type:s?")                  \
	X(EVT_IM_RECEIVED, "im-received", EVT,                                                    \
	  "account:s from:s body:s flags:u? stamp:x? receipt:u?")                                 \
	X(EVT_TYPING, "typing", EVT, "account:s from:s state:s")                                  \
	X(EVT_RECEIPT, "receipt", EVT, "account:s from:s receipt:u")                              \
	X(EVT_ROOM_JOINED, "room-joined", EVT,                                                    \
	  "account:s room:s nick:s occupants:a(ss) subject:s?")                                   \
	X(EVT_ROOM_OCCUPANT, "room-occupant", EVT,                                                \
	  "account:s room:s nick:s change:s new_nick:s? reason:s? flags:s?")                      \
	X(EVT_ROOM_MESSAGE, "room-message", EVT, "account:s room:s from:s body:s own:b")          \
	X(EVT_ROOM_SUBJECT, "room-subject", EVT, "account:s room:s subject:s by:s?")              \
	X(EVT_ROOM_LEFT, "room-left", EVT, "account:s room:s reason:s?")                          \
	X(EVT_ROOM_ADMIN_DONE, "room-admin-done", EVT, "account:s request:u masks:as?")           \
	X(EVT_ROOM_INVITED, "room-invited", EVT, "account:s room:s from:s")                       \
	X(EVT_ROOM_BAN, "room-ban", EVT, "account:s room:s mask:s set:b by:s? occupants:as?")     \
	X(EVT_ROOM_LIST, "room-list", EVT,                                                        \
	  "account:s rooms:a(sus) complete:b truncated:b? error:s?")                              \
	X(EVT_ERROR, "error", EVT, "account:s? request:u? condition:s text:s")                    \
	X(EVT_STATS, "stats", EVT, "rss_kib:t accounts:u")                                        \
	X(EVT_CONNECTION, "connection", EVT, "account:s local_port:u remote_port:u")              \
	X(EVT_SMS_SENT, "sms-sent", EVT, "account:s to:s message_id:s outcome:u reason:s?")     \
	X(EVT_REQUEST, "request", EVT,                                                            \
	  "account:s prompt:u type:s title:s primary:s? secondary:s? choices:as? masked:b?")     \
	X(EVT_ACCOUNT_STATE, "account-state", EVT, "account:s key:s value:s?")                    \
	X(EVT_PROTOCOL_INFO, "protocol-info", EVT,                                                \
	  "protocol:s name:s file:s password:s username_label:s? options:a(ssssba(ss)) "           \
	  "splits:a(sssb) chat_fields:a(ssbbiib) typing:b? receipts:b?")

typedef enum {
	PG_IPC_KIND_INVALID = 0,
#define PG_IPC_X_ENUM(sym, name, dir, fields) PG_IPC_##sym,
	PG_IPC_MESSAGES(PG_IPC_X_ENUM)
#undef PG_IPC_X_ENUM
	    PG_IPC_KIND_LAST
} PgIpcKind;

typedef enum {
	PG_IPC_BOTH,
	PG_IPC_CMD, /* daemon -> worker */
	PG_IPC_EVT, /* worker -> daemon */
} PgIpcDirection;

/* Which end of the socketpair we are; decides which kinds we accept. */
typedef enum {
	PG_IPC_ROLE_DAEMON, /* receives BOTH + EVT */
	PG_IPC_ROLE_WORKER, /* receives BOTH + CMD */
} PgIpcRole;

/* One message.  A plain record: @fields is an a{sv}, never floating.
 * @index is private to pg-ipc-message.c: the value of each field of the
 * kind's row, found in one pass (when a frame is decoded, or on the first
 * read of a message built here), so that a getter costs a few string
 * compares instead of a walk of the dictionary.  A message is used on one
 * thread. */
typedef struct {
	guint32 id;
	PgIpcKind kind;
	GVariant *fields;
	GVariant **index;
} PgIpcMessage;

/* "wire-name" of @kind, or NULL for an invalid kind. */
const gchar *pg_ipc_kind_to_string(PgIpcKind kind);
PgIpcDirection pg_ipc_kind_get_direction(PgIpcKind kind);
/* The kind a receiver with @role understands as @name, or PG_IPC_KIND_INVALID. */
PgIpcKind pg_ipc_kind_from_string(const gchar *name, PgIpcRole role);

/* Build a message from name/value pairs terminated by NULL (just NULL for a
 * message without fields, hence no sentinel attribute).  Each value is a
 * GVariant (floating references are sunk); a NULL value omits that field, so
 * optional fields can be passed unconditionally.  The fields are not
 * checked here but by pg_ipc_message_encode().
 * Returns: (transfer full) */
PgIpcMessage *pg_ipc_message_new(PgIpcKind kind, guint32 id, const gchar *first_field, ...)
    G_GNUC_WARN_UNUSED_RESULT;
/* @fields: an a{sv}; a floating reference is sunk, otherwise the message
 * takes a reference of its own (the caller keeps theirs), as
 * g_variant_ref_sink() does.  Returns: (transfer full) */
PgIpcMessage *pg_ipc_message_new_from_fields(PgIpcKind kind, guint32 id, GVariant *fields)
    G_GNUC_WARN_UNUSED_RESULT;
void pg_ipc_message_free(PgIpcMessage *msg);

/* Check @msg against its row of PG_IPC_MESSAGES. */
gboolean pg_ipc_message_validate(const PgIpcMessage *msg, GError **error);

/* Validate and serialise @msg into a whole frame, header included.  The
 * bytes are wiped when the last reference goes.
 * Returns: (transfer full) */
GBytes *pg_ipc_message_encode(const PgIpcMessage *msg, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Parse and validate one frame payload (@data without the 4-byte header)
 * received by @receiver.  @data is copied into a buffer wiped when the
 * message is freed; the caller still owns (and should wipe) @data.
 * Returns: (transfer full) or NULL with @error set */
PgIpcMessage *pg_ipc_message_decode(const guint8 *data, gsize len, PgIpcRole receiver,
				    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Typed getters; absent fields give NULL / @fallback.  Strings point into
 * the message and live as long as it does. */
gboolean pg_ipc_message_has_field(const PgIpcMessage *msg, const gchar *name);
const gchar *pg_ipc_message_get_string(const PgIpcMessage *msg, const gchar *name);
guint32 pg_ipc_message_get_uint32(const PgIpcMessage *msg, const gchar *name, guint32 fallback);
guint64 pg_ipc_message_get_uint64(const PgIpcMessage *msg, const gchar *name, guint64 fallback);
gboolean pg_ipc_message_get_boolean(const PgIpcMessage *msg, const gchar *name,
				    gboolean fallback);
/* Returns: (transfer full) (nullable) the value of field @name */
GVariant *pg_ipc_message_get_value(const PgIpcMessage *msg, const gchar *name);
/* Returns: (transfer full) (nullable) a copy of string field @name in a PgSecret */
PgSecret *pg_ipc_message_dup_secret(const PgIpcMessage *msg, const gchar *name);

/* A floating 's' GVariant holding @secret in a buffer that is wiped when the
 * variant goes: use it for the '!' fields so no unwiped copy is left behind
 * in GLib's allocator by the sender. */
GVariant *pg_ipc_variant_new_secret(const PgSecret *secret) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PgIpcMessage, pg_ipc_message_free)

G_END_DECLS
