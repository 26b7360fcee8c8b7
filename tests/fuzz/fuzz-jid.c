/* Fuzz target: JID and legacy-ID translation (XEP-0106 escaping must round
 * trip; parsers must fail cleanly on anything). */
#include "config.h"

#include <string.h>

#include "core/pg-phone.h"
#include "xmpp/pg-jid.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autofree gchar *text = g_strndup((const gchar *)data, size);
	PgTransportConfig transports[] = {
	    {.jid = (gchar *)"irc.example.org", .type = PG_TRANSPORT_TYPE_IRC},
	    {.jid = (gchar *)"irc.example.org", .type = PG_TRANSPORT_TYPE_IRC,
	     .irc_server = (gchar *)"irc.example.net"},
	    {.jid = (gchar *)"sms.example.org", .type = PG_TRANSPORT_TYPE_SMS},
	    {.jid = (gchar *)"x.example.org", .type = PG_TRANSPORT_TYPE_PURPLE},
	};

	if (!g_utf8_validate(text, -1, NULL))
		return 0; /* stanzas are UTF-8 by the time they reach us */
	{
		g_autofree gchar *escaped = pg_jid_escape_node(text);
		g_autofree gchar *back = pg_jid_unescape_node(escaped);
		g_assert_cmpstr(back, ==, text);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(transports); i++) {
		g_autofree gchar *jid = pg_jid_from_legacy_id(&transports[i], text, NULL);
		g_autoptr(PgIrcAddress) address = pg_jid_parse_irc(&transports[i], text, NULL);

		if (jid != NULL)
			g_assert_nonnull(g_utf8_strchr(jid, -1, '@'));
		if (address != NULL) {
			g_autofree gchar *again = pg_jid_irc_to_jid(&transports[i], address->name,
								     address->server, NULL);
			g_autoptr(PgIrcAddress) reparsed =
			    pg_jid_parse_irc(&transports[i], again, NULL);
			g_assert_nonnull(reparsed);
			g_assert_cmpstr(reparsed->name, ==, address->name);
			g_assert_cmpstr(reparsed->server, ==, address->server);
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
