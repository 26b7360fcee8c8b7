/* Fuzz target: the real stanza handlers behind a fake component.
 *
 * Three transports (irc, sms, purple) with a real session manager and a real
 * registry in a temporary directory receive the input as stanzas, exactly
 * as pg_transport's component callback would hand them over: registration
 * (XEP-0077), the gateway (XEP-0100), ad-hoc commands (XEP-0050), disco,
 * ping, presence and messages to rooms and contacts (the sessions).  No
 * worker is ever started: the supervisor holds every login, so links stay
 * pending and commands queue on them.
 *
 * Input: segments separated by NUL bytes.  A segment is a stanza, parsed
 * with libstrophe's own parser (the one the component uses); it goes to the
 * transport its 'to' names, else to the IRC one (a misrouted stanza, as
 * ejabberd's global_routes delivers).  A segment that starts with the byte
 * 0x01 is a worker event instead: the rest is decoded as an IPC message
 * (PG_IPC_ROLE_DAEMON) and, with its account set to that of the first link
 * the stanzas made, handed to the sessions as if that link's worker sent it
 * (the legacy side: IRC lines, room events, errors, SMS outcomes).  NUL
 * bytes inside an event are written as 0x02 0x01 and 0x02 as 0x02 0x02.
 *
 * What is checked, on every stanza the handlers send:
 * - it serialises to valid UTF-8 holding only XML 1.0 characters, and
 *   libstrophe's parser reads it back: a stanza that is not well-formed
 *   makes the XMPP server close the component stream (every user of the
 *   transport drops);
 * - it has a 'to';
 * - no error answers an error (RFC 6120 §8.3.1).
 * Aborts, leaks and sanitizer reports are findings too. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "core/pg-config.h"
#include "ipc/pg-ipc-message.h"
#include "registry/pg-registry.h"
#include "registry/pg-sms-queue.h"
#include "registry/pg-vault.h"
#include "session/pg-session-manager.h"
#include "session/pg-session-private.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

#define FUZZ_USER "user@example.org"
#define FUZZ_DIR_PREFIX "polygate-fuzz-handlers-"
#define FUZZ_N_TRANSPORTS 3

static const guint8 fuzz_key[PG_VAULT_KEY_LEN] = {
    0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
    0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

static const gchar fuzz_config_text[] = "[polygate]\n"
					"database = registry.db\n"
					"key_file = registry.key\n"
					"admins = admin@example.org\n"
					"[xmpp]\n"
					"host = 127.0.0.1\n"
					"port = 5347\n"
					"[http]\n"
					"port = 0\n"
					"[transport irc]\n"
					"jid = irc.example.org\n"
					"secret = s1\n"
					"type = irc\n"
					"[transport sms]\n"
					"jid = sms.example.org\n"
					"secret = s2\n"
					"type = sms\n"
					"[transport xmpp]\n"
					"jid = xmpp.example.org\n"
					"secret = s3\n"
					"type = purple\n"
					"purple_protocol = prpl-jabber\n";

typedef struct {
	gchar *dir;
	PgConfig *config;
	PgVault *vault;
	PgRegistry *registry;
	PgTransport *transports[FUZZ_N_TRANSPORTS];
	gboolean answering_error; /* the stanza being handled is of type error */
	gboolean verbose;         /* $PG_FUZZ_VERBOSE: print what is sent */
} FuzzWorld;

static FuzzWorld fuzz_world;

static void
fuzz_remove_dir(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *file = g_build_filename(path, name, NULL);
		g_unlink(file);
	}
	g_rmdir(path);
}

static void
fuzz_cleanup(void)
{
	if (fuzz_world.dir != NULL)
		fuzz_remove_dir(fuzz_world.dir);
}

/* libFuzzer often ends a process without atexit handlers (_Exit): sweep
 * the directories of runs whose process is gone.  Names carry the pid. */
static void
fuzz_sweep(const gchar *base)
{
	g_autoptr(GDir) dir = g_dir_open(base, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		guint64 pid = 0;
		if (!g_str_has_prefix(name, FUZZ_DIR_PREFIX))
			continue;
		pid = g_ascii_strtoull(name + strlen(FUZZ_DIR_PREFIX), NULL, 10);
		if (pid > 0 && pid <= G_MAXINT && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			g_autofree gchar *path = g_build_filename(base, name, NULL);
			fuzz_remove_dir(path);
		}
	}
}

/* XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
 * [#x10000-#x10FFFF]; g_utf8_validate() already refuses surrogates. */
static gboolean
fuzz_is_xml_text(const gchar *text, gsize len)
{
	const gchar *end = text + len;

	if (!g_utf8_validate(text, (gssize)len, NULL))
		return FALSE;
	for (const gchar *p = text; p < end; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return FALSE;
		if (c == 0xfffe || c == 0xffff)
			return FALSE;
	}
	return TRUE;
}

static void
fuzz_sent_cb(PgTransport *transport, xmpp_stanza_t *stanza, gpointer user_data)
{
	FuzzWorld *world = user_data;
	g_autofree gchar *text = NULL;
	size_t len = 0;
	xmpp_stanza_t *again;

	g_assert_cmpint(xmpp_stanza_to_text(stanza, &text, &len), ==, XMPP_EOK);
	if (world->verbose)
		g_printerr("sent: %s\n", text);
	if (!fuzz_is_xml_text(text, len))
		g_error("%s sent a stanza that is not XML 1.0 text: %s",
			pg_transport_get_jid(transport), g_strescape(text, NULL));
	again = xmpp_stanza_new_from_string(pg_transport_get_ctx(transport), text);
	if (again == NULL)
		g_error("%s sent a stanza its own parser cannot read: %s",
			pg_transport_get_jid(transport), text);
	g_assert_cmpstr(xmpp_stanza_get_name(again), ==, xmpp_stanza_get_name(stanza));
	xmpp_stanza_release(again);
	g_assert_nonnull(xmpp_stanza_get_to(stanza));
	if (world->answering_error)
		g_assert_cmpstr(xmpp_stanza_get_type(stanza), !=, "error");
}

static void
fuzz_put_account(const gchar *transport, const gchar *legacy_id, const gchar *key,
		 const gchar *value)
{
	g_autoptr(PgAccount) account = pg_account_new(transport, FUZZ_USER, legacy_id);
	g_autoptr(GError) error = NULL;

	if (key != NULL)
		pg_account_set_setting(account, key, value);
	g_assert_true(pg_registry_put_account(fuzz_world.registry, account, NULL, &error));
}

/* The registry as every run starts: one registered user on each transport,
 * nobody else, no SMS queued. */
static void
fuzz_reset_registry(void)
{
	const gchar *jids[] = {"irc.example.org", "sms.example.org", "xmpp.example.org"};

	for (gsize i = 0; i < G_N_ELEMENTS(jids); i++) {
		g_autoptr(GPtrArray) users =
		    pg_registry_list_user_jids(fuzz_world.registry, jids[i], NULL);
		for (guint j = 0; users != NULL && j < users->len; j++)
			pg_registry_remove_account(fuzz_world.registry, jids[i],
						   g_ptr_array_index(users, j), NULL);
	}
	fuzz_put_account("irc.example.org", "fuzzer", "nick", "fuzzer");
	fuzz_put_account("sms.example.org", "+15551234567", "phone", "+15551234567");
	fuzz_put_account("xmpp.example.org", "fuzzer@legacy.example", "username",
			 "fuzzer@legacy.example");
	if (pg_sms_queue_count_pending(fuzz_world.registry, NULL, NULL, NULL) != 0) {
		g_autoptr(GPtrArray) failed = NULL;
		g_assert_true(
		    pg_sms_queue_requeue_in_flight(fuzz_world.registry, NULL, G_MAXINT32, NULL));
		failed = pg_sms_queue_expire(
		    fuzz_world.registry, "sms.example.org", 0, G_MAXINT32, NULL);
		g_assert_true(pg_sms_queue_purge(fuzz_world.registry, G_MAXINT32, NULL, NULL));
	}
}

static GLogWriterOutput
fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return g_log_writer_default(level, fields, n_fields, user_data);
	return G_LOG_WRITER_HANDLED;
}

static void
fuzz_init(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *db_path = NULL;
	g_autofree gchar *template = NULL;
	const gchar *base =
	    g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir();

	/* warnings are expected (hostile input); a critical is a broken
	 * precondition, a bug */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
	template = g_strdup_printf(FUZZ_DIR_PREFIX "%d-XXXXXX", (gint)getpid());

	fuzz_sweep(base);
	fuzz_world.dir = g_build_filename(base, template, NULL);
	g_assert_nonnull(g_mkdtemp(fuzz_world.dir));
	atexit(fuzz_cleanup);
	fuzz_world.verbose = g_getenv("PG_FUZZ_VERBOSE") != NULL;
	config_path = g_build_filename(fuzz_world.dir, "polygate.conf", NULL);
	fuzz_world.config = pg_config_load_from_data(fuzz_config_text, config_path, &error);
	g_assert_no_error(error);
	db_path = g_build_filename(fuzz_world.dir, "registry.db", NULL);
	fuzz_world.vault = pg_vault_new_for_test(1, fuzz_key);
	fuzz_world.registry = pg_registry_open(db_path, fuzz_world.vault, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(fuzz_world.config->transports->len, ==, FUZZ_N_TRANSPORTS);
	for (guint i = 0; i < FUZZ_N_TRANSPORTS; i++) {
		const PgTransportConfig *transport =
		    g_ptr_array_index(fuzz_world.config->transports, i);
		fuzz_world.transports[i] =
		    pg_transport_new(fuzz_world.config, transport, fuzz_world.registry);
		pg_transport_set_send_func(fuzz_world.transports[i], fuzz_sent_cb, &fuzz_world);
	}
}

static gboolean
fuzz_mentions(const guint8 *data, gsize size, const gchar *word)
{
	gsize len = strlen(word);

	for (gsize i = 0; i + len <= size; i++) {
		if (memcmp(data + i, word, len) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Undo the event escaping: 0x02 0x01 is NUL, 0x02 0x02 is 0x02. */
static GByteArray *
fuzz_unescape(const guint8 *data, gsize len)
{
	GByteArray *out = g_byte_array_sized_new((guint)len);

	for (gsize i = 0; i < len; i++) {
		guint8 byte = data[i];
		if (byte == 0x02 && i + 1 < len)
			byte = data[++i] == 0x01 ? 0x00 : data[i];
		g_byte_array_append(out, &byte, 1);
	}
	return out;
}

static void
fuzz_deliver_event(PgSessionManager *manager, const guint8 *data, gsize len)
{
	g_autoptr(GByteArray) bytes = fuzz_unescape(data, len);
	g_autoptr(PgIpcMessage) msg =
	    pg_ipc_message_decode(bytes->data, bytes->len, PG_IPC_ROLE_DAEMON, NULL);
	GHashTableIter iter;
	gpointer account = NULL;

	if (msg == NULL)
		return;
	g_hash_table_iter_init(&iter, manager->links);
	if (pg_ipc_message_has_field(msg, "account") &&
	    g_hash_table_iter_next(&iter, &account, NULL)) {
		g_autoptr(GVariantDict) dict = g_variant_dict_new(msg->fields);
		g_variant_dict_insert(dict, "account", "s", (const gchar *)account);
		g_variant_unref(msg->fields);
		msg->fields = g_variant_ref_sink(g_variant_dict_end(dict));
	}
	pg_supervisor_deliver_event(manager->supervisor, msg);
}

static PgTransport *
fuzz_route(xmpp_stanza_t *stanza)
{
	const gchar *to = xmpp_stanza_get_to(stanza);
	g_autofree gchar *domain = to != NULL ? pg_stanza_bare_jid(to) : NULL;
	const gchar *at;

	if (domain != NULL) {
		at = strchr(domain, '@');
		for (guint i = 0; i < FUZZ_N_TRANSPORTS; i++) {
			if (g_strcmp0(at != NULL ? at + 1 : domain,
				      pg_transport_get_jid(fuzz_world.transports[i])) == 0)
				return fuzz_world.transports[i];
		}
	}
	return fuzz_world.transports[0];
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	PgSessionManager *manager;
	gsize pos = 0;

	if (fuzz_world.dir == NULL) {
		fuzz_init();
		fuzz_reset_registry();
	}
	manager = pg_session_manager_new(fuzz_world.config, "/nonexistent/polygate-purple");
	pg_supervisor_hold_logins(manager->supervisor, TRUE);
	for (guint i = 0; i < FUZZ_N_TRANSPORTS; i++)
		pg_session_manager_add_transport(manager, fuzz_world.transports[i]);
	g_assert_true(pg_session_manager_start(manager, NULL));

	while (pos < size) {
		const guint8 *nul = memchr(data + pos, '\0', size - pos);
		gsize len = nul != NULL ? (gsize)(nul - (data + pos)) : size - pos;
		g_autofree gchar *xml = g_strndup((const gchar *)data + pos, len);
		xmpp_stanza_t *stanza;

		pos += len + 1;
		if (len > 0 && xml[0] == 0x01) {
			fuzz_deliver_event(manager, (const guint8 *)xml + 1, len - 1);
			for (guint i = 0; i < 16 && g_main_context_iteration(NULL, FALSE); i++)
				;
			continue;
		}
		stanza = xmpp_stanza_new_from_string(pg_transport_get_ctx(fuzz_world.transports[0]),
						     xml);
		if (stanza == NULL)
			continue;
		fuzz_world.answering_error = g_strcmp0(xmpp_stanza_get_type(stanza), "error") == 0;
		pg_transport_receive(fuzz_route(stanza), stanza);
		fuzz_world.answering_error = FALSE;
		xmpp_stanza_release(stanza);
		/* idle work (the SMS outbox pump) runs between stanzas */
		for (guint i = 0; i < 16 && g_main_context_iteration(NULL, FALSE); i++)
			;
	}
	/* the stop: sessions say goodbye through the same checks.  A text
	 * handed to a link (which never comes up here) would hold the stop for
	 * its drain deadline: put it back first, as a restart would. */
	g_assert_true(pg_sms_queue_requeue_in_flight(fuzz_world.registry, NULL, 0, NULL));
	pg_session_manager_free(manager);
	/* Put the registry back for the next run, when this one may have
	 * changed it (a registration, a command, a text).  Rewriting it every
	 * run would cost half the speed; an input that names these only
	 * through character references leaves its changes to the next one. */
	if (fuzz_mentions(data, size, "register") || fuzz_mentions(data, size, "command") ||
	    fuzz_mentions(data, size, "sms"))
		fuzz_reset_registry();
	return 0;
}
