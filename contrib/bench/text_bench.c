/* Micro-benchmark of the text boundary (issue 8: the text and JID
 * boundaries together must add at most 1 µs per stanza).
 *
 * Part 1 times what an outbound IRC stanza costs from its text to the bytes
 * pg_component_send() hands to libstrophe: the XEP-0045 builder (pg-muc.c,
 * which cleans every text since the boundary), the serialisation, and the
 * component's last check of the serialised stanza (pg_text_is_clean(...,
 * PG_TEXT_XML)).  The same file builds against a tree from before the
 * boundary (no stanza/pg-text.h: no cleaning, no check), so running both
 * gives the boundary's cost per stanza; see README.md for the commands.
 * Part 2 (boundary only) times pg_text_is_clean() and pg_text_sanitize()
 * alone on typical and hostile lines.
 *
 * Part 3 (boundary only) times exactly the calls the builders and the
 * component make for each stanza of part 1, which is the boundary's cost
 * free of the noise of libstrophe's allocations.
 *
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID, so a busy box
 * does not count its other processes), the best of BENCH_RUNS runs, in ns.
 * Build it optimized, without sanitizers:
 *
 *     meson setup build-bench . -Dbuildtype=release && ninja -C build-bench
 *     build-bench/contrib/bench/bench-text [iterations]
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmpp/pg-muc.h"
#include "stanza/pg-stanza.h"

#if __has_include("stanza/pg-text.h")
#include "stanza/pg-text.h"
#define BENCH_HAVE_TEXT 1
#else
#define BENCH_HAVE_TEXT 0
#endif

#define BENCH_RUNS 7

#define ROOM "#chan%irc.example.net@irc.example.org"
#define USER "alice@example.org/phone"

typedef enum {
	BENCH_MESSAGE,
	BENCH_SUBJECT,
	BENCH_PART,
} BenchKind;

typedef struct {
	const gchar *name;
	BenchKind kind;
	const gchar *nick;
	const gchar *text;
} BenchCase;

static const BenchCase bench_cases[] = {
    {"room line, 40 B ASCII", BENCH_MESSAGE, "bob", "hello everyone, how is the build going?"},
    {"room line, 120 B UTF-8", BENCH_MESSAGE, "j\xc3\xa9r\xc3\xb4me",
     "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln! \xc3\x87" "a va tr\xc3\xa8s bien, merci "
     "\xf0\x9f\x98\x80 \xe2\x82\xac 5 \xe2\x80\x94 \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
     "\xd1\x82 \xe4\xbd\xa0\xe5\xa5\xbd, and some more ASCII to end it."},
    {"room line, 400 B ASCII", BENCH_MESSAGE, "bob",
     "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
     "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
     "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure "
     "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. "
     "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia."},
    {"room line with mIRC codes", BENCH_MESSAGE, "bob",
     "\x02" "build\x02 is \x03" "04,01red\x03 again: see \x1dthe log\x1d \x11make\x11"},
    {"topic (subject)", BENCH_SUBJECT, "bob", "Welcome to #chan | rules: be nice"},
    {"part with a reason", BENCH_PART, "bob", "Leaving: see you tomorrow"},
};

static gint64
bench_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One stanza from its text to the bytes for the socket. */
static gsize
bench_stanza(xmpp_ctx_t *ctx, const BenchCase *c)
{
	static const gint part_statuses[] = {0};
	xmpp_stanza_t *stanza;
	gchar *text = NULL;
	size_t len = 0;

	switch (c->kind) {
	case BENCH_SUBJECT:
		stanza = pg_muc_subject(ctx, ROOM, c->nick, USER, c->text);
		break;
	case BENCH_PART:
		stanza = pg_muc_occupant_presence(ctx, ROOM, c->nick, USER, "unavailable", "none",
						  "none", part_statuses, NULL, c->text);
		break;
	case BENCH_MESSAGE:
	default:
		stanza = pg_muc_message(ctx, ROOM, c->nick, USER, c->text, "id-1234");
		break;
	}
	if (xmpp_stanza_to_text(stanza, &text, &len) != XMPP_EOK)
		g_error("cannot serialise");
#if BENCH_HAVE_TEXT
	/* pg_component_send()'s last check */
	if (!pg_text_is_clean(text, (gssize)len, PG_TEXT_XML))
		g_error("a builder let a forbidden character through");
#endif
	g_free(text);
	xmpp_stanza_release(stanza);
	return len;
}

/* The best of BENCH_RUNS runs of @iterations calls, in ns of CPU per call. */
static gdouble
bench_best(guint iterations, xmpp_ctx_t *ctx, gsize (*func)(xmpp_ctx_t *, gconstpointer),
	   gconstpointer data)
{
	gdouble best = G_MAXDOUBLE;
	volatile gsize sink = 0;

	for (gint r = 0; r < BENCH_RUNS; r++) {
		gint64 start = bench_cpu_ns();
		for (guint n = 0; n < iterations; n++)
			sink += func(ctx, data);
		best = MIN(best, (gdouble)(bench_cpu_ns() - start) / iterations);
	}
	(void)sink;
	return best;
}

static gsize
bench_stanza_cb(xmpp_ctx_t *ctx, gconstpointer data)
{
	return bench_stanza(ctx, data);
}

#if BENCH_HAVE_TEXT
typedef struct {
	const gchar *name;
	const gchar *text;
	PgTextKind kind;
} BenchText;

static const BenchText bench_texts[] = {
    {"40 B ASCII, body", "hello everyone, how is the build going?", PG_TEXT_BODY},
    {"400 B ASCII, body",
     "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
     "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
     "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure "
     "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. "
     "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia.",
     PG_TEXT_BODY},
    {"60 B UTF-8, body",
     "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln! \xf0\x9f\x98\x80 \xd0\xbf\xd1\x80\xd0\xb8"
     "\xd0\xb2\xd0\xb5\xd1\x82 \xe4\xbd\xa0\xe5\xa5\xbd ok",
     PG_TEXT_BODY},
    {"occupant JID, name", ROOM "/j\xc3\xa9r\xc3\xb4me", PG_TEXT_NAME},
    {"mIRC codes, body", "\x02" "build\x02 is \x03" "04,01red\x03 again \x11make\x11",
     PG_TEXT_BODY},
    {"Latin-1 bytes, body", "caf\xe9 cr\xe8me \xe0 la fran\xe7" "aise", PG_TEXT_BODY},
};

static gsize
bench_is_clean_cb(xmpp_ctx_t *ctx, gconstpointer data)
{
	const BenchText *t = data;
	return pg_text_is_clean(t->text, -1, t->kind);
}

static gsize
bench_sanitize_cb(xmpp_ctx_t *ctx, gconstpointer data)
{
	const BenchText *t = data;
	g_autofree gchar *out = pg_text_sanitize(t->text, -1, t->kind, NULL);
	return strlen(out);
}

typedef struct {
	const BenchCase *stanza_case;
	gchar *from;
	gchar *xml;
} BenchShare;

/* What the boundary adds to one stanza of part 1: the builders' calls
 * (pg-muc.c, pg-stanza.c) and the component's check. */
static gsize
bench_share_cb(xmpp_ctx_t *ctx, gconstpointer data)
{
	const BenchShare *s = data;
	const BenchCase *c = s->stanza_case;
	g_autofree gchar *from = NULL;
	g_autofree gchar *to = NULL;
	g_autofree gchar *text = NULL;
	gsize n = 0;

	n += pg_text_clean(s->from, PG_TEXT_NAME, &from) != NULL;
	n += pg_text_clean(USER, PG_TEXT_NAME, &to) != NULL;
	n += pg_text_clean(c->text, PG_TEXT_BODY, &text) != NULL;
	n += pg_text_is_clean(s->xml, -1, PG_TEXT_XML);
	return n;
}
#endif

int
main(int argc, char **argv)
{
	guint iterations = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : 300000;
	xmpp_ctx_t *ctx = pg_stanza_ctx_new();

	g_print("Outbound IRC stanza, text to serialised bytes, %s the text boundary\n"
		"(ns of CPU per stanza, best of %d runs of %u)\n",
		BENCH_HAVE_TEXT ? "WITH" : "WITHOUT", BENCH_RUNS, iterations);
	for (gsize i = 0; i < G_N_ELEMENTS(bench_cases); i++) {
		g_print("  %-30s %8.1f ns\n", bench_cases[i].name,
			bench_best(iterations, ctx, bench_stanza_cb, &bench_cases[i]));
	}
#if BENCH_HAVE_TEXT
	g_print("The boundary alone (ns of CPU per call, best of %d runs of %u)\n", BENCH_RUNS,
		iterations);
	g_print("  %-30s %12s %12s\n", "", "is_clean", "sanitize");
	for (gsize i = 0; i < G_N_ELEMENTS(bench_texts); i++) {
		g_print("  %-30s %9.1f ns %9.1f ns\n", bench_texts[i].name,
			bench_best(iterations, ctx, bench_is_clean_cb, &bench_texts[i]),
			bench_best(iterations, ctx, bench_sanitize_cb, &bench_texts[i]));
	}
	g_print("The boundary's share of each stanza of part 1 (ns of CPU per stanza)\n");
	for (gsize i = 0; i < G_N_ELEMENTS(bench_cases); i++) {
		const BenchCase *c = &bench_cases[i];
		xmpp_stanza_t *stanza = pg_muc_message(ctx, ROOM, c->nick, USER, c->text, "id-1234");
		size_t len = 0;
		BenchShare share = {.stanza_case = c,
				    .from = g_strdup_printf("%s/%s", ROOM, c->nick)};

		xmpp_stanza_to_text(stanza, &share.xml, &len);
		g_print("  %-30s %8.1f ns\n", c->name,
			bench_best(iterations, ctx, bench_share_cb, &share));
		g_free(share.from);
		g_free(share.xml);
		xmpp_stanza_release(stanza);
	}
#endif
	xmpp_ctx_free(ctx);
	return 0;
}
