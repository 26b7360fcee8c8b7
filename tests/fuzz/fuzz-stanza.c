/* Fuzz target: parsing untrusted XML into stanzas and reading data forms
 * out of them, as the registration handler does. */
#include "config.h"

#include "stanza/pg-form.h"
#include "stanza/pg-stanza.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

static xmpp_ctx_t *fuzz_ctx;

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autofree gchar *text = g_strndup((const gchar *)data, size);
	xmpp_stanza_t *stanza;

	if (fuzz_ctx == NULL)
		fuzz_ctx = pg_stanza_ctx_new();
	stanza = xmpp_stanza_new_from_string(fuzz_ctx, text);
	if (stanza == NULL)
		return 0;
	for (xmpp_stanza_t *child = stanza; child != NULL; child = xmpp_stanza_get_next(child)) {
		xmpp_stanza_t *x = xmpp_stanza_get_child_by_ns(child, PG_NS_DATA);
		if (x != NULL) {
			GHashTable *values = pg_form_parse_submit(x, PG_NS_REGISTER, NULL);
			if (values != NULL)
				g_hash_table_unref(values);
		}
		{
			xmpp_stanza_t *reply = pg_stanza_iq_result(child);
			gchar *bare = pg_stanza_bare_jid(xmpp_stanza_get_from(child));
			if (reply != NULL)
				xmpp_stanza_release(reply);
			g_free(bare);
		}
		if (child != stanza)
			break;
	}
	xmpp_stanza_release(stanza);
	return 0;
}
