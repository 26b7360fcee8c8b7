/* The RFC 1413 server; see pg-identd.h. */
#define G_LOG_DOMAIN "pg-ident"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "session/pg-identd.h"

typedef struct _PgIdentdClient PgIdentdClient;

struct _PgIdentd {
	PgIdent *ident;
	GSocketService *service;
	GHashTable *clients; /* PgIdentdClient set */
};

/* INVARIANT: exactly one read, write or claim wait is in flight for a
 * client until it is freed, and only that operation's callback frees it;
 * the timeout and the server's end only cancel.  So no callback ever sees
 * a freed client. */
struct _PgIdentdClient {
	PgIdentd *server; /* NULL once the server is gone */
	GSocketConnection *connection;
	GCancellable *cancellable;
	guint timeout_id;
	gchar buffer[PG_IDENTD_LINE_MAX];
	gsize len;
	gchar *reply;
	guint local_port;      /* the query, while waiting for its claim */
	guint remote_port;
	gint64 claim_deadline; /* monotonic µs */
};

static void
pg_identd_client_free(PgIdentdClient *client)
{
	g_clear_handle_id(&client->timeout_id, g_source_remove);
	if (client->server != NULL)
		g_hash_table_remove(client->server->clients, client);
	g_io_stream_close(G_IO_STREAM(client->connection), NULL, NULL);
	g_object_unref(client->connection);
	g_object_unref(client->cancellable);
	g_free(client->reply);
	g_free(client);
}

static gboolean
pg_identd_skip_spaces(const gchar *line, gsize len, gsize *at)
{
	while (*at < len && (line[*at] == ' ' || line[*at] == '\t'))
		(*at)++;
	return *at < len;
}

static gboolean
pg_identd_read_port(const gchar *line, gsize len, gsize *at, guint *port)
{
	guint value = 0;
	gsize digits = 0;

	while (*at < len && g_ascii_isdigit(line[*at]) && digits < 6) {
		value = value * 10 + (guint)(line[*at] - '0');
		(*at)++;
		digits++;
	}
	if (digits == 0 || digits > 5 || value == 0 || value > 65535)
		return FALSE;
	*port = value;
	return TRUE;
}

gboolean
pg_identd_parse_query(const gchar *line, gsize len, guint *local_port, guint *remote_port)
{
	gsize at = 0;
	guint local = 0, remote = 0;

	if (!pg_identd_skip_spaces(line, len, &at) ||
	    !pg_identd_read_port(line, len, &at, &local) ||
	    !pg_identd_skip_spaces(line, len, &at) || line[at] != ',')
		return FALSE;
	at++;
	if (!pg_identd_skip_spaces(line, len, &at) ||
	    !pg_identd_read_port(line, len, &at, &remote))
		return FALSE;
	pg_identd_skip_spaces(line, len, &at);
	if (at != len)
		return FALSE;
	*local_port = local;
	*remote_port = remote;
	return TRUE;
}

static void
pg_identd_written_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgIdentdClient *client = user_data;

	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, NULL);
	pg_identd_client_free(client);
}

static void
pg_identd_answer(PgIdentdClient *client, gchar *reply)
{
	GOutputStream *output = g_io_stream_get_output_stream(G_IO_STREAM(client->connection));

	client->reply = reply;
	g_output_stream_write_all_async(output, client->reply, strlen(client->reply),
					G_PRIORITY_DEFAULT, client->cancellable,
					pg_identd_written_cb, client);
}

/* The answer about the client's query. */
static gchar *
pg_identd_reply(PgIdentdClient *client)
{
	guint local = client->local_port, remote = client->remote_port;
	g_autoptr(GSocketAddress) peer = NULL;
	g_autofree gchar *name = NULL;

	peer = g_socket_connection_get_remote_address(client->connection, NULL);
	if (client->server != NULL && G_IS_INET_SOCKET_ADDRESS(peer))
		name = pg_ident_lookup(
		    client->server->ident,
		    g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(peer)), local, remote);
	if (name == NULL)
		return g_strdup_printf("%u , %u : ERROR : NO-USER\r\n", local, remote);
	g_debug("identd: %u , %u is %s", local, remote, name);
	return g_strdup_printf("%u , %u : USERID : UNIX : %s\r\n", local, remote, name);
}

static void pg_identd_read(PgIdentdClient *client);

static gboolean
pg_identd_claim_wait_cb(gpointer user_data)
{
	PgIdentdClient *client = user_data;

	if (g_cancellable_is_cancelled(client->cancellable) || client->server == NULL) {
		pg_identd_client_free(client);
		return G_SOURCE_REMOVE;
	}
	if (!pg_ident_is_claimed(client->server->ident, client->local_port,
				 client->remote_port) &&
	    g_get_monotonic_time() < client->claim_deadline)
		return G_SOURCE_CONTINUE;
	pg_identd_answer(client, pg_identd_reply(client));
	return G_SOURCE_REMOVE;
}

/* One query line (@len bytes, CR LF cut off): answer it, at once or once
 * its pair is claimed (PG_IDENTD_CLAIM_WAIT_MS). */
static void
pg_identd_query(PgIdentdClient *client, const gchar *line, gsize len)
{
	if (!pg_identd_parse_query(line, len, &client->local_port, &client->remote_port)) {
		pg_identd_answer(client, g_strdup("0 , 0 : ERROR : INVALID-PORT\r\n"));
		return;
	}
	g_debug("identd: asked about %u , %u", client->local_port, client->remote_port);
	if (pg_ident_is_claimed(client->server->ident, client->local_port,
				client->remote_port)) {
		pg_identd_answer(client, pg_identd_reply(client));
		return;
	}
	client->claim_deadline = g_get_monotonic_time() + PG_IDENTD_CLAIM_WAIT_MS * 1000;
	g_timeout_add(PG_IDENTD_CLAIM_POLL_MS, pg_identd_claim_wait_cb, client);
}

static void
pg_identd_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	PgIdentdClient *client = user_data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, NULL);
	const gchar *newline;

	if (n <= 0 || client->server == NULL) {
		pg_identd_client_free(client);
		return;
	}
	client->len += (gsize)n;
	newline = memchr(client->buffer, '\n', client->len);
	if (newline != NULL) {
		gsize line_len = (gsize)(newline - client->buffer);
		if (line_len > 0 && client->buffer[line_len - 1] == '\r')
			line_len--;
		pg_identd_query(client, client->buffer, line_len);
		return;
	}
	if (client->len == sizeof(client->buffer)) {
		/* no query is this long */
		pg_identd_answer(client, g_strdup("0 , 0 : ERROR : INVALID-PORT\r\n"));
		return;
	}
	pg_identd_read(client);
}

static void
pg_identd_read(PgIdentdClient *client)
{
	GInputStream *input = g_io_stream_get_input_stream(G_IO_STREAM(client->connection));

	g_input_stream_read_async(input, client->buffer + client->len,
				  sizeof(client->buffer) - client->len, G_PRIORITY_DEFAULT,
				  client->cancellable, pg_identd_read_cb, client);
}

static gboolean
pg_identd_timeout_cb(gpointer user_data)
{
	PgIdentdClient *client = user_data;

	client->timeout_id = 0;
	g_cancellable_cancel(client->cancellable);
	return G_SOURCE_REMOVE;
}

static gboolean
pg_identd_incoming_cb(GSocketService *service, GSocketConnection *connection,
		      GObject *source_object, gpointer user_data)
{
	PgIdentd *self = user_data;
	PgIdentdClient *client;

	if (g_hash_table_size(self->clients) >= PG_IDENTD_MAX_CLIENTS) {
		g_info("identd: %d queries at once, one more refused", PG_IDENTD_MAX_CLIENTS);
		g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
		return TRUE;
	}
	client = g_new0(PgIdentdClient, 1);
	client->server = self;
	client->connection = g_object_ref(connection);
	client->cancellable = g_cancellable_new();
	client->timeout_id = g_timeout_add_seconds(PG_IDENTD_TIMEOUT_S, pg_identd_timeout_cb, client);
	g_hash_table_add(self->clients, client);
	pg_identd_read(client);
	return TRUE;
}

PgIdentd *
pg_identd_new(PgIdent *ident, const gchar *address, guint16 port, GError **error)
{
	g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address);
	g_autoptr(GSocketAddress) socket_address = NULL;
	PgIdentd *self;

	if (inet == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "identd: %s is not an IP address", address);
		return NULL;
	}
	socket_address = g_inet_socket_address_new(inet, port);
	self = g_new0(PgIdentd, 1);
	self->ident = ident;
	self->clients = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->service = g_socket_service_new();
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), socket_address,
					   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL,
					   error)) {
		g_prefix_error(error, "identd on %s port %u: ", address, port);
		pg_identd_free(self);
		return NULL;
	}
	g_signal_connect(self->service, "incoming", G_CALLBACK(pg_identd_incoming_cb), self);
	g_socket_service_start(self->service);
	g_message("identd listening on %s port %u", address, port);
	return self;
}

void
pg_identd_free(PgIdentd *self)
{
	GHashTableIter iter;
	gpointer client;

	if (self == NULL)
		return;
	g_socket_service_stop(self->service);
	g_socket_listener_close(G_SOCKET_LISTENER(self->service));
	g_object_unref(self->service);
	/* their pending operations end (cancelled) and free them later */
	g_hash_table_iter_init(&iter, self->clients);
	while (g_hash_table_iter_next(&iter, &client, NULL)) {
		PgIdentdClient *c = client;
		c->server = NULL;
		g_clear_handle_id(&c->timeout_id, g_source_remove);
		g_cancellable_cancel(c->cancellable);
	}
	g_hash_table_unref(self->clients);
	g_free(self);
}
