/* After-connect commands per server (issue 10, item 2; biboumi's
 * "after_connect_commands"): raw IRC lines the worker sends once the
 * server has registered the user (MODE nick +x, PRIVMSG NickServ :...).
 *
 * They may hold passwords, so they are a sealed secret of the server
 * (registry/pg-irc-creds.h, key "commands": the lines joined by '\n'),
 * shown in the form as a count, never as text (XEP-0004 text-multi with
 * no value), kept on an empty submission and removed by "clear_commands".
 *
 * Each line is checked here, and again by the worker before it sends
 * (backends/purple/pg-purple-events.c): at most (ipc/pg-ipc-message.h)
 * PG_IPC_AFTER_CONNECT_MAX_LINES lines of at most
 * PG_IPC_AFTER_CONNECT_LINE_MAX bytes, no CR, LF or NUL inside a line
 * (RFC 2812 §2.3: CR LF ends a message, so one would start another
 * command), and a command word first.  Blank lines are left out.  They go
 * through prpl-irc's send queue, under its throttle.
 */
#define G_LOG_DOMAIN "pg-network"

#include "config.h"

#include <openssl/crypto.h>
#include <string.h>

#include "core/pg-error.h"
#include "network/pg-network-irc.h"
#include "registry/pg-irc-creds.h"

#define PG_NETWORK_IRC_COMMANDS_KEY "commands"

static guint
pg_network_irc_commands_count(const PgSecret *commands)
{
	const gchar *text = commands != NULL ? pg_secret_get_string(commands) : NULL;
	guint n = 0;

	if (text == NULL || text[0] == '\0')
		return 0;
	for (const gchar *p = text; p != NULL; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
		n++;
	return n;
}

void
pg_network_irc_commands_add_field(PgForm *form, const PgAccount *account, const gchar *server)
{
	guint n = pg_network_irc_commands_count(
	    pg_irc_creds_server_secret(account, server, PG_NETWORK_IRC_COMMANDS_KEY));
	g_autofree gchar *label = NULL;

	if (n > 0)
		label = g_strdup_printf("Raw IRC lines sent after connecting, one per line (at most "
					"%d): %u set, kept encrypted and not shown (leave empty "
					"to keep them, or type them all anew)",
					PG_IPC_AFTER_CONNECT_MAX_LINES, n);
	else
		label = g_strdup_printf("Raw IRC lines sent after connecting, one per line (at most "
					"%d, e.g. MODE mynick +x): not set",
					PG_IPC_AFTER_CONNECT_MAX_LINES);
	pg_form_add_field(form, "commands", "text-multi", label, FALSE, NULL);
	if (n > 0)
		pg_form_add_field(form, "clear_commands", "boolean",
				  "Remove the after-connect commands", FALSE, "0");
}

gboolean
pg_network_irc_commands_line_ok(const gchar *line, gsize len)
{
	gsize word = 0;

	if (len == 0 || len > PG_IPC_AFTER_CONNECT_LINE_MAX ||
	    memchr(line, '\r', len) != NULL || memchr(line, '\n', len) != NULL ||
	    memchr(line, '\0', len) != NULL)
		return FALSE;
	/* RFC 2812 §2.3.1: command = 1*letter / 3digit; no prefix from a client */
	while (word < len && g_ascii_isalpha(line[word]))
		word++;
	return word > 0 && (word == len || line[word] == ' ');
}

PgSecret *
pg_network_irc_commands_check(const gchar *value, GError **error)
{
	/* sized once: a realloc would leave a copy of the lines unwiped */
	g_autoptr(GString) out = g_string_sized_new(strlen(value) + 1);
	guint n = 0;
	const gchar *p = value;
	PgSecret *secret;

	while (p != NULL && *p != '\0') {
		const gchar *end = strchr(p, '\n');
		gsize len = end != NULL ? (gsize)(end - p) : strlen(p);

		/* a blank line is no command: left out */
		if (strspn(p, " \t") < len) {
			if (++n > PG_IPC_AFTER_CONNECT_MAX_LINES) {
				g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
					    "at most %d after-connect commands",
					    PG_IPC_AFTER_CONNECT_MAX_LINES);
				OPENSSL_cleanse(out->str, out->len);
				return NULL;
			}
			if (!pg_network_irc_commands_line_ok(p, len)) {
				g_set_error(error, PG_ERROR, PG_ERROR_NOT_ACCEPTABLE,
					    "after-connect command %u is not one IRC line: a "
					    "command word (letters) first, at most %d bytes, no "
					    "carriage return",
					    n, PG_IPC_AFTER_CONNECT_LINE_MAX);
				OPENSSL_cleanse(out->str, out->len);
				return NULL;
			}
			if (out->len > 0)
				g_string_append_c(out, '\n');
			g_string_append_len(out, p, len);
		}
		p = end != NULL ? end + 1 : NULL;
	}
	secret = n > 0 ? pg_secret_new_from_string(out->str) : NULL;
	OPENSSL_cleanse(out->str, out->len);
	return secret;
}
