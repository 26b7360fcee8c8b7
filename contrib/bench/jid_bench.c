/* Micro-benchmark of the JID boundary (issue 8: the text and JID boundaries
 * together must add at most 1 µs per stanza).
 *
 * For each stanza shape it times what every stanza pays before routing
 * (pg_transport_check_addresses(): the RFC 7622 parse of 'from' and 'to',
 * the domain check, the per-network shape check), plus the per-network parse
 * the session layer does again (pg_network_irc_parse() / _sms() / _purple()),
 * and prints the median of five runs in ns per stanza: the boundary alone,
 * then with the session layer's parse.  It counts the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other load on the machine
 * does not inflate the numbers.  Build it optimized, without sanitizers:
 *
 *     meson setup build-bench . -Dbuildtype=release && ninja -C build-bench
 *     build-bench/contrib/bench/bench-jid [iterations]
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "network/pg-network-irc.h"
#include "network/pg-network-purple.h"
#include "network/pg-network-sms.h"
#include "stanza/pg-jid.h"
#include "stanza/pg-stanza.h"
#include "stanza/pg-text.h"
#include "xmpp/pg-transport-private.h"

#define BENCH_RUNS 5

typedef struct {
	const gchar *name;
	PgTransportType type;
	const gchar *from;
	const gchar *to;
} BenchCase;

static const BenchCase bench_cases[] = {
    {"irc room message", PG_TRANSPORT_TYPE_IRC, "alice@example.org/phone",
     "#chan%irc.example.net@gw.example.org"},
    {"irc private message", PG_TRANSPORT_TYPE_IRC, "alice@example.org/phone",
     "bob%irc.example.net@gw.example.org"},
    {"irc room join (occupant)", PG_TRANSPORT_TYPE_IRC, "alice@example.org/phone",
     "#chan%irc.example.net@gw.example.org/alice"},
    {"sms message", PG_TRANSPORT_TYPE_SMS, "alice@example.org/phone",
     "+15551234567@gw.example.org"},
    {"purple message", PG_TRANSPORT_TYPE_PURPLE, "alice@example.org/phone",
     "bob\\40legacy.example@gw.example.org"},
    {"iq to the domain", PG_TRANSPORT_TYPE_IRC, "alice@example.org/phone", "gw.example.org"},
    {"non-ASCII user and room", PG_TRANSPORT_TYPE_IRC, "\xc3\xb1" "and\xc3\xba@example.org/t\xc3\xa9l",
     "#caf\xc3\xa9%irc.example.net@gw.example.org/\xc3\xb1"},
    {"refused: domain/resource", PG_TRANSPORT_TYPE_SMS, "alice@example.org/phone",
     "gw.example.org/a@b"},
    {"refused: other domain", PG_TRANSPORT_TYPE_SMS, "alice@example.org/phone",
     "#chan%irc.example.net@irc.example.org/nick"},
};

static gint64
bench_cpu_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return (gint64)now.tv_sec * G_GINT64_CONSTANT(1000000000) + now.tv_nsec;
}

static gint
bench_compare(gconstpointer a, gconstpointer b)
{
	gdouble x = *(const gdouble *)a;
	gdouble y = *(const gdouble *)b;
	return x < y ? -1 : x > y;
}

/* One stanza's boundary and, if @session, the session layer's per-network
 * parse. */
static void
bench_one(const PgTransportConfig *transport, xmpp_stanza_t *stanza, gboolean session)
{
	g_autoptr(PgJid) from = NULL;
	g_autoptr(PgJid) to = NULL;
	g_autoptr(GError) error = NULL;

	if (!pg_transport_check_addresses(transport, stanza, &from, &to, &error))
		return;
	if (to->local == NULL || !session)
		return;
	switch (transport->type) {
	case PG_TRANSPORT_TYPE_IRC: {
		g_autoptr(PgNetworkAddress) address = pg_network_irc_parse(transport, to, NULL);
		break;
	}
	case PG_TRANSPORT_TYPE_SMS: {
		g_autofree gchar *number = pg_network_sms_parse(transport, to, NULL);
		break;
	}
	case PG_TRANSPORT_TYPE_PURPLE:
	default: {
		g_autofree gchar *legacy = pg_network_purple_parse(transport, to, NULL);
		break;
	}
	}
}

/* The text boundary (pg-text.h) on what a relayed IRC line carries, so that
 * the two boundaries' sum per stanza can be read off: its body, and the
 * serialised stanza pg_component_send() checks once more. */
static void
bench_text(guint iterations)
{
	static const gchar body[] = "hello everyone, the build is green again; "
				    "see https://example.org/ci/1234 for the log";
	static const gchar stanza[] =
	    "<message to='alice@example.org/phone' type='groupchat' "
	    "from='#chan%irc.example.net@gw.example.org/bob' id='pg42'><body>hello "
	    "everyone, the build is green again; see https://example.org/ci/1234 for "
	    "the log</body></message>";
	static const struct {
		const gchar *name;
		const gchar *text;
		PgTextKind kind;
	} rows[] = {
	    {"text: a 90-byte body", body, PG_TEXT_BODY},
	    {"text: the 240-byte stanza", stanza, PG_TEXT_XML},
	};

	g_print("Text boundary (pg_text_clean()), CPU ns per string\n");
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		gdouble runs[BENCH_RUNS];
		for (gint r = 0; r < BENCH_RUNS; r++) {
			gint64 start = bench_cpu_ns();
			for (guint n = 0; n < iterations; n++) {
				g_autofree gchar *cleaned = NULL;
				const gchar *out = pg_text_clean(rows[i].text, rows[i].kind, &cleaned);
				g_assert(out != NULL);
			}
			runs[r] = (gdouble)(bench_cpu_ns() - start) / iterations;
		}
		qsort(runs, BENCH_RUNS, sizeof(runs[0]), (GCompareFunc)bench_compare);
		g_print("  %-28s %9.1f\n", rows[i].name, runs[BENCH_RUNS / 2]);
	}
}

int
main(int argc, char **argv)
{
	guint iterations = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : 1000000;
	xmpp_ctx_t *ctx = pg_stanza_ctx_new();

	g_print("JID boundary, CPU ns per stanza (median of %d runs of %u)\n", BENCH_RUNS,
		iterations);
	g_print("  %-28s %9s %9s\n", "stanza", "boundary", "+session");
	for (gsize i = 0; i < G_N_ELEMENTS(bench_cases); i++) {
		const BenchCase *c = &bench_cases[i];
		PgTransportConfig transport = {.jid = (gchar *)"gw.example.org", .type = c->type};
		xmpp_stanza_t *stanza = xmpp_message_new(ctx, "chat", c->to, NULL);
		gdouble medians[2];

		xmpp_stanza_set_from(stanza, c->from);
		for (gint session = 0; session < 2; session++) {
			gdouble runs[BENCH_RUNS];
			for (gint r = 0; r < BENCH_RUNS; r++) {
				gint64 start = bench_cpu_ns();
				for (guint n = 0; n < iterations; n++)
					bench_one(&transport, stanza, session);
				runs[r] = (gdouble)(bench_cpu_ns() - start) / iterations;
			}
			qsort(runs, BENCH_RUNS, sizeof(runs[0]), (GCompareFunc)bench_compare);
			medians[session] = runs[BENCH_RUNS / 2];
		}
		g_print("  %-28s %9.1f %9.1f\n", c->name, medians[0], medians[1]);
		xmpp_stanza_release(stanza);
	}
	bench_text(iterations);
	xmpp_ctx_free(ctx);
	return 0;
}
