/* The body of the three importer fuzz targets (fuzz-import-irssi.c,
 * -weechat.c, -znc.c): one per log format, so that each grammar gets the
 * fuzzer's whole attention.  Any bytes must parse without a crash into
 * lines whose nick and text are UTF-8 without a control character, whose
 * counts add up, and that do not depend on how the file was cut into
 * chunks; each text then goes through the relay's renderer, whose lines
 * must be IRC-safe. */
#pragma once

#include <string.h>

#include "bridge/pg-bridge-import.h"
#include "bridge/pg-bridge-render.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

static void
fuzz_bridge_check_text(const gchar *text)
{
	g_assert_true(g_utf8_validate(text, -1, NULL));
	for (const guchar *p = (const guchar *)text; *p != '\0'; p++)
		g_assert_true(*p >= 0x20 && *p != 0x7f);
}

static void
fuzz_bridge_import(PgBridgeLogFormat format, const guint8 *data, gsize size)
{
	PgBridgeImportOptions options;
	PgBridgeImportStats stats;
	PgBridgeRenderPolicy policy;
	g_autoptr(GPtrArray) whole = NULL;
	g_autoptr(PgBridgeImport) chunked = NULL;
	g_autoptr(GPtrArray) pieces = NULL;
	gsize chunk = size > 0 ? (gsize)data[0] % 97 + 1 : 1;

	pg_bridge_import_options_init(&options);
	options.file_name = "2026-12-03.log";
	options.max_line_bytes = 512;
	options.max_lines = 5000;
	whole = pg_bridge_import_parse(format, &options, (const gchar *)data, size, &stats, NULL);
	g_assert_nonnull(whole);
	g_assert_cmpuint(stats.lines_kept, ==, whole->len);
	g_assert_cmpuint(stats.lines_kept + stats.lines_unknown + stats.lines_undated +
			     stats.lines_too_long + stats.invalid_utf8_refused,
			 <=, stats.lines_read);
	pg_bridge_render_policy_init(&policy);
	for (guint i = 0; i < whole->len; i++) {
		const PgBridgeLine *line = g_ptr_array_index(whole, i);
		g_auto(GStrv) irc = NULL;

		g_assert_cmpuint(strlen(line->nick), >, 0);
		fuzz_bridge_check_text(line->nick);
		fuzz_bridge_check_text(line->text);
		g_assert_nonnull(pg_bridge_line_kind_to_string(line->kind));
		irc = pg_bridge_render_message(&policy, line->nick, line->text, NULL, NULL);
		for (guint j = 0; irc != NULL && irc[j] != NULL; j++) {
			fuzz_bridge_check_text(irc[j]);
			g_assert_cmpuint(strlen(irc[j]), <=, policy.max_line_bytes);
		}
	}

	/* the same file in chunks gives the same lines */
	chunked = pg_bridge_import_new(format, &options, NULL);
	pieces = g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_line_free);
	for (gsize at = 0; at < size; at += chunk)
		pg_bridge_import_feed(chunked, (const gchar *)data + at, MIN(chunk, size - at), pieces);
	pg_bridge_import_finish(chunked, pieces);
	g_assert_cmpuint(pieces->len, ==, whole->len);
	for (guint i = 0; i < whole->len; i++) {
		const PgBridgeLine *a = g_ptr_array_index(whole, i);
		const PgBridgeLine *b = g_ptr_array_index(pieces, i);

		g_assert_cmpint(a->time_us, ==, b->time_us);
		g_assert_cmpstr(a->text, ==, b->text);
	}
}
