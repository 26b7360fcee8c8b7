/* Fuzz target: the JID boundary.  The RFC 7622 parser (pg_jid_parse()) must
 * fail cleanly or give parts that parse back to themselves; the boundary
 * check of every transport (pg_transport_check_addresses()) must route or
 * refuse with a stanza error, never abort; the per-network parses and the
 * legacy-ID translation must fail cleanly (XEP-0106 escaping must round
 * trip). */
#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "core/pg-phone.h"
#include "network/pg-network-irc.h"
#include "network/pg-network-purple.h"
#include "network/pg-network-sms.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "xmpp/pg-transport-private.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

static xmpp_ctx_t *fuzz_ctx;

static const PgTransportConfig fuzz_transports[] = {
    {.jid = (gchar *)"irc.example.org", .type = PG_TRANSPORT_TYPE_IRC},
    {.jid = (gchar *)"irc.example.org", .type = PG_TRANSPORT_TYPE_IRC,
     .irc_server = (gchar *)"irc.example.net"},
    {.jid = (gchar *)"sms.example.org", .type = PG_TRANSPORT_TYPE_SMS},
    {.jid = (gchar *)"x.example.org", .type = PG_TRANSPORT_TYPE_PURPLE},
};

static void
fuzz_check_parsed(const PgJid *jid)
{
	g_autoptr(PgJid) again = pg_jid_parse(jid->full, NULL);

	g_assert_nonnull(again);
	g_assert_cmpstr(again->full, ==, jid->full);
	g_assert_cmpstr(again->bare, ==, jid->bare);
	g_assert_cmpstr(again->local, ==, jid->local);
	g_assert_cmpstr(again->domain, ==, jid->domain);
	g_assert_cmpstr(again->resource, ==, jid->resource);
	g_assert_true(g_utf8_validate(jid->full, -1, NULL));
	g_assert_cmpuint(strlen(jid->domain), <=, 1023);
	g_assert_null(strchr(jid->domain, '@'));
	g_assert_null(strchr(jid->domain, '/'));
	if (jid->local != NULL) {
		g_assert_cmpuint(strlen(jid->local), >=, 1);
		g_assert_cmpuint(strlen(jid->local), <=, 1023);
		g_assert_null(strpbrk(jid->local, "\"&'/:<>@ "));
	}
	if (jid->resource != NULL) {
		g_assert_cmpuint(strlen(jid->resource), >=, 1);
		g_assert_cmpuint(strlen(jid->resource), <=, 1023);
	}
}

/* The boundary on @transport for a stanza to @to: a route to this domain or
 * a refusal with a stanza error, nothing else.  The check does not depend on
 * the stanza's kind; @kind picks one so that all three are seen. */
static void
fuzz_boundary(const PgTransportConfig *transport, const gchar *to, gsize kind)
{
	static const gchar *const names[] = {"message", "presence", "iq"};

	{
		g_autoptr(xmpp_stanza_t) stanza = xmpp_stanza_new(fuzz_ctx);
		g_autoptr(PgJid) from = NULL;
		g_autoptr(PgJid) parsed_to = NULL;
		g_autoptr(GError) error = NULL;

		xmpp_stanza_set_name(stanza, names[kind % G_N_ELEMENTS(names)]);
		xmpp_stanza_set_from(stanza, "user@example.org/x");
		xmpp_stanza_set_to(stanza, to);
		if (pg_transport_check_addresses(transport, stanza, &from, &parsed_to, &error)) {
			g_assert_no_error(error);
			g_assert_cmpstr(parsed_to->domain, ==, transport->jid);
			g_assert_true(parsed_to->local != NULL || parsed_to->resource == NULL);
		} else {
			g_assert_nonnull(error);
			g_assert_true(error->domain == PG_ERROR && error->code < PG_ERROR_CONFIG);
		}
	}
}

static void
fuzz_networks(const PgTransportConfig *transport, const PgJid *jid)
{
	g_autoptr(PgNetworkAddress) address = pg_network_irc_parse(transport, jid, NULL);
	g_autofree gchar *number = pg_network_sms_parse(transport, jid, NULL);
	g_autofree gchar *legacy = pg_network_purple_parse(transport, jid, NULL);

	if (transport->type == PG_TRANSPORT_TYPE_IRC) {
		/* the boundary's allocation-free check agrees with the full parse */
		g_autoptr(GError) check_error = NULL;
		g_autoptr(GError) parse_error = NULL;
		g_autoptr(PgNetworkAddress) parsed = pg_network_irc_parse(transport, jid, &parse_error);
		gboolean ok = pg_network_check_address(transport, jid, &check_error);
		g_assert_cmpint(ok, ==, parsed != NULL);
		if (!ok)
			g_assert_cmpint(check_error->code, ==, parse_error->code);
	}
	if (address != NULL && address->is_server) {
		/* a server's own JID: the server, escaped, as the local part */
		g_autofree gchar *node = pg_jid_escape_node(address->server);
		g_autofree gchar *again = g_strdup_printf("%s@%s", node, transport->jid);
		g_autoptr(PgJid) parsed = pg_jid_parse(again, NULL);
		g_autoptr(PgNetworkAddress) reparsed =
		    parsed != NULL ? pg_network_irc_parse(transport, parsed, NULL) : NULL;
		if (reparsed == NULL || !reparsed->is_server)
			g_error("IRC server %s does not parse back", address->server);
		g_assert_cmpstr(reparsed->server, ==, address->server);
	} else if (address != NULL) {
		g_autofree gchar *again = pg_network_irc_to_jid(transport, address->name,
							     address->server, NULL);
		g_autoptr(PgJid) parsed = pg_jid_parse(again, NULL);
		g_autoptr(PgNetworkAddress) reparsed =
		    parsed != NULL ? pg_network_irc_parse(transport, parsed, NULL) : NULL;
		if (reparsed == NULL)
			g_error("IRC address %s / %s does not parse back", address->name,
				address->server != NULL ? address->server : "(none)");
		g_assert_cmpstr(reparsed->name, ==, address->name);
		g_assert_cmpstr(reparsed->server, ==, address->server);
	}
	if (number != NULL) {
		g_autofree gchar *again = pg_phone_normalize_e164(number, NULL);
		g_assert_cmpstr(again, ==, number);
	}
	if (legacy != NULL) {
		g_autofree gchar *escaped = pg_jid_escape_node(legacy);
		g_autofree gchar *back = pg_jid_unescape_node(escaped);
		g_assert_cmpstr(back, ==, legacy);
	}
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autofree gchar *text = g_strndup((const gchar *)data, size);

	if (fuzz_ctx == NULL)
		fuzz_ctx = pg_stanza_ctx_new();
	/* the parser itself takes any bytes: invalid UTF-8 is malformed */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(PgJid) jid = pg_jid_parse(text, &error);
		if (jid != NULL)
			fuzz_check_parsed(jid);
		else
			g_assert_error(error, PG_ERROR, PG_ERROR_JID_MALFORMED);
	}
	if (!g_utf8_validate(text, -1, NULL))
		return 0; /* stanzas are UTF-8 by the time they reach us */
	{
		g_autofree gchar *escaped = pg_jid_escape_node(text);
		g_autofree gchar *back = pg_jid_unescape_node(escaped);
		g_assert_cmpstr(back, ==, text);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(fuzz_transports); i++) {
		const PgTransportConfig *transport = &fuzz_transports[i];
		/* the input as a whole 'to', as a local part and as a resource */
		g_autofree gchar *as_local = g_strdup_printf("%s@%s", text, transport->jid);
		g_autofree gchar *as_resource = g_strdup_printf("%s/%s", transport->jid, text);
		const gchar *const tos[] = {text, as_local, as_resource};
		g_autofree gchar *jid = pg_network_jid_from_legacy_id(transport, text, NULL);

		if (jid != NULL)
			g_assert_nonnull(g_utf8_strchr(jid, -1, '@'));
		for (gsize t = 0; t < G_N_ELEMENTS(tos); t++) {
			g_autoptr(PgJid) parsed = pg_jid_parse(tos[t], NULL);
			fuzz_boundary(transport, tos[t], size + t);
			if (parsed != NULL)
				fuzz_networks(transport, parsed);
		}
	}
	{
		g_autofree gchar *number = pg_phone_normalize_e164(text, NULL);
		if (number != NULL) {
			g_autofree gchar *again = pg_phone_normalize_e164(number, NULL);
			g_assert_cmpstr(again, ==, number);
		}
	}
	return 0;
}
