/* XEP-0050 ad-hoc commands offered by a transport.
 *
 * Each PgTransport keeps its own list of commands.  Any layer may add one
 * (the session layer adds reconnect, leave-all-rooms...); the transport
 * answers discovery (XEP-0050 §2) and execution (§3) for all of them, checks
 * who may run what, and turns the command's text into the reply.
 *
 * Commands are single-stage: the first 'execute' runs the command and the
 * reply has status='completed'; or two-stage (a form first, see
 * PgAdhocCommand.form).  The first line of the returned text becomes
 * the <note type='info'/>; any further lines also go, one <value/> each, into
 * a text-multi field 'lines' of a XEP-0004 result form, which clients show as
 * a list.
 */
#pragma once

#include <glib.h>

#include "xmpp/pg-transport.h"

G_BEGIN_DECLS

#define PG_NS_COMMANDS "http://jabber.org/protocol/commands"

/* Runs a command for @user_jid (bare; already checked to be allowed to run
 * it).  @form_values holds the submitted XEP-0004 form (var -> first value),
 * or is NULL if the request carried none.
 * Returns: (transfer full) the text for the user, or NULL with @error set
 * (a PG_ERROR code becomes the stanza error, RFC 6120 §8.3.3; any other
 * domain becomes internal-server-error and is only logged). */
typedef gchar *(*PgAdhocExecuteFunc)(PgTransport *transport, const gchar *user_jid,
				     GHashTable *form_values, gpointer user_data, GError **error);

/* For a command with two stages: the form (an <x xmlns='jabber:x:data'
 * type='form'/>) to ask @user_jid, or NULL with @error set.
 * Returns: (transfer full) */
typedef xmpp_stanza_t *(*PgAdhocFormFunc)(PgTransport *transport, const gchar *user_jid,
					  gpointer user_data, GError **error);

typedef struct {
	const gchar *node;       /* unique on the transport, e.g. "ping" */
	const gchar *name;       /* shown in the client's command menu */
	gboolean admin_only;     /* only the bare JIDs in [polygate] admins see and run it */
	PgAdhocExecuteFunc execute;
	/* NULL for a single-stage command.  Else the first execute without a
	 * form gets this form (status 'executing', XEP-0050 §3.4), and the
	 * submission of it, in that session, runs execute with its values. */
	PgAdhocFormFunc form;
} PgAdhocCommand;

/* Offers @command on @self.  The struct and its strings are copied; @user_data
 * is borrowed and must stay valid until the command is removed or the
 * transport is freed.  Adding a node twice is a programmer error. */
void pg_transport_add_command(PgTransport *self, const PgAdhocCommand *command,
			      gpointer user_data);
/* Withdraws the command at @node; FALSE if there is none. */
gboolean pg_transport_remove_command(PgTransport *self, const gchar *node);

G_END_DECLS
