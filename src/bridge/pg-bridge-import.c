/* PgBridgeImport: irssi, weechat and ZNC channel logs -> PgBridgeLine
 * (pg-bridge-import.h).
 *
 * DESIGN
 * - Each format is a timestamp read by hand and a table of rules (GRegex,
 *   compiled once per parser) tried in order on the rest of the line.  What
 *   no rule matches is counted as unknown and skipped: a log holds client
 *   chatter (irssi's "-!- Irssi: Join to #x was synced", weechat's "--\t
 *   Channel created on") that has no place in the room.
 * - The formats are the clients' defaults: irssi's log_timestamp "%H:%M "
 *   (seconds accepted) with "--- Log opened"/"--- Day changed" lines that
 *   carry the date; weechat's logger "%Y-%m-%d %H:%M:%S" + TAB + prefix +
 *   TAB + text; ZNC's log module "[%H:%M:%S] " with the date only in the
 *   file name ($NETWORK/$WINDOW/%Y-%m-%d.log, or the older
 *   user_network_#chan_%Y%m%d.log).
 * - Bytes in, text out: a line that is not UTF-8 is read as CP1252 (IRC's
 *   usual other charset) or skipped, as the options say, and counted; then
 *   every field passes pg-text (the nick as a name: a control becomes '?';
 *   the text as a line: controls and mIRC codes go).  Lines are bounded in
 *   length and number, so a hostile or corrupt file costs bounded memory.
 * - Logs give minutes (irssi) or seconds; the n-th line with the same
 *   timestamp gets n µs more.  The spool keys lines on (time, kind, nick,
 *   text), so two "lol"s of one minute stay two lines, and importing the
 *   same file again still adds nothing.
 */
#define G_LOG_DOMAIN "pg-bridge"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bridge/pg-bridge-import.h"
#include "core/pg-error.h"
#include "stanza/pg-text.h"

typedef struct {
	const gchar *pattern;
	PgBridgeLineKind kind;
	guint nick; /* the group of the nick */
	guint text; /* the group of the text, 0: none */
	guint by;   /* KICK: the group of who kicked, 0: none */
} PgBridgeImportRule;

/* IRC modes as clients show them in front of a nick */
#define PG_MODES "[ @+%&~!]*"

static const PgBridgeImportRule pg_bridge_import_irssi[] = {
    {"^<" PG_MODES "([^>]+)> ?(.*)$", PG_BRIDGE_LINE_MESSAGE, 1, 2, 0},
    {"^ ?\\* (\\S+) ?(.*)$", PG_BRIDGE_LINE_ACTION, 1, 2, 0},
    {"^-!- (\\S+) \\[[^\\]]*\\] has joined \\S+", PG_BRIDGE_LINE_JOIN, 1, 0, 0},
    {"^-!- (\\S+) \\[[^\\]]*\\] has left \\S+ \\[(.*)\\]$", PG_BRIDGE_LINE_PART, 1, 2, 0},
    {"^-!- (\\S+) \\[[^\\]]*\\] has quit \\[(.*)\\]$", PG_BRIDGE_LINE_QUIT, 1, 2, 0},
    {"^-!- (\\S+) is now known as (\\S+)$", PG_BRIDGE_LINE_NICK, 1, 2, 0},
    {"^-!- (\\S+) was kicked from \\S+ by (\\S+) \\[(.*)\\]$", PG_BRIDGE_LINE_KICK, 1, 3, 2},
    {"^-!- (\\S+) changed the topic of \\S+ to: ?(.*)$", PG_BRIDGE_LINE_TOPIC, 1, 2, 0},
    {"^-!- mode/\\S+ \\[(.*)\\] by (\\S+)$", PG_BRIDGE_LINE_MODE, 2, 1, 0},
    {"^-([^\\s:(!-][^\\s:(]*)(?::\\S+|\\([^)]*\\))?- ?(.*)$", PG_BRIDGE_LINE_NOTICE, 1, 2, 0},
};

/* on "prefix\ttext" */
static const PgBridgeImportRule pg_bridge_import_weechat[] = {
    {"^-->\\t(\\S+) (?:\\(.*?\\) )?has joined", PG_BRIDGE_LINE_JOIN, 1, 0, 0},
    {"^<--\\t(\\S+) (?:\\(.*?\\) )?has left \\S+(?: \\((.*)\\))?$", PG_BRIDGE_LINE_PART, 1, 2, 0},
    {"^<--\\t(\\S+) (?:\\(.*?\\) )?has quit(?: \\((.*)\\))?$", PG_BRIDGE_LINE_QUIT, 1, 2, 0},
    {"^<--\\t(\\S+) has kicked (\\S+)(?: \\((.*)\\))?$", PG_BRIDGE_LINE_KICK, 2, 3, 1},
    {"^--\\t(\\S+) is now known as (\\S+)$", PG_BRIDGE_LINE_NICK, 1, 2, 0},
    {"^--\\t(\\S+) has changed topic for \\S+(?: from \".*?\")? to \"(.*)\"$",
     PG_BRIDGE_LINE_TOPIC, 1, 2, 0},
    {"^--\\tMode \\S+ \\[(.*)\\] by (\\S+)$", PG_BRIDGE_LINE_MODE, 2, 1, 0},
    {"^--\\tNotice\\(([^)]+)\\)(?: -> \\S+)?: (.*)$", PG_BRIDGE_LINE_NOTICE, 1, 2, 0},
    {"^ ?\\*\\t(\\S+) ?(.*)$", PG_BRIDGE_LINE_ACTION, 1, 2, 0},
    /* a nick never starts with '-', '<', '>' or '*' (RFC 2812 §2.3.1) */
    {"^" PG_MODES "([^\\s<>*@+%&~!-][^\\t]*?)\\t(.*)$", PG_BRIDGE_LINE_MESSAGE, 1, 2, 0},
};

static const PgBridgeImportRule pg_bridge_import_znc[] = {
    {"^<([^>]+)> ?(.*)$", PG_BRIDGE_LINE_MESSAGE, 1, 2, 0},
    {"^\\*\\*\\* Joins: (\\S+)", PG_BRIDGE_LINE_JOIN, 1, 0, 0},
    {"^\\*\\*\\* Parts: (\\S+) \\([^)]*\\)(?: \\((.*)\\))?$", PG_BRIDGE_LINE_PART, 1, 2, 0},
    {"^\\*\\*\\* Quits: (\\S+) \\([^)]*\\)(?: \\((.*)\\))?$", PG_BRIDGE_LINE_QUIT, 1, 2, 0},
    {"^\\*\\*\\* (\\S+) is now known as (\\S+)$", PG_BRIDGE_LINE_NICK, 1, 2, 0},
    {"^\\*\\*\\* (\\S+) was kicked by (\\S+) \\((.*)\\)$", PG_BRIDGE_LINE_KICK, 1, 3, 2},
    {"^\\*\\*\\* (\\S+) changes topic to '(.*)'$", PG_BRIDGE_LINE_TOPIC, 1, 2, 0},
    {"^\\*\\*\\* (\\S+) sets mode: (.*)$", PG_BRIDGE_LINE_MODE, 1, 2, 0},
    {"^\\* (\\S+) ?(.*)$", PG_BRIDGE_LINE_ACTION, 1, 2, 0},
    {"^-([^\\s-][^\\s]*?)- ?(.*)$", PG_BRIDGE_LINE_NOTICE, 1, 2, 0},
};

static const gchar *const pg_bridge_log_format_names[PG_BRIDGE_LOG_LAST] = {
	[PG_BRIDGE_LOG_IRSSI] = "irssi",
	[PG_BRIDGE_LOG_WEECHAT] = "weechat",
	[PG_BRIDGE_LOG_ZNC] = "znc",
};

struct _PgBridgeImport {
	PgBridgeLogFormat format;
	PgBridgeImportOptions options;
	GTimeZone *zone;
	const PgBridgeImportRule *rules;
	guint n_rules;
	GRegex **regexes;
	GRegex *day_opened; /* irssi */
	GRegex *day_changed;
	gint year, month, day; /* the current day; 0: not known yet */
	GString *partial;      /* a line not yet ended */
	gboolean overlong;     /* the partial line passed max_line_bytes */
	gint64 last_base_us;
	guint64 same_base;
	PgBridgeImportStats stats;
};

const gchar *
pg_bridge_log_format_to_string(PgBridgeLogFormat format)
{
	if ((guint)format >= PG_BRIDGE_LOG_LAST)
		return NULL;
	return pg_bridge_log_format_names[format];
}

gboolean
pg_bridge_log_format_from_string(const gchar *name, PgBridgeLogFormat *format)
{
	for (guint i = 0; name != NULL && i < PG_BRIDGE_LOG_LAST; i++) {
		if (g_strcmp0(name, pg_bridge_log_format_names[i]) == 0) {
			*format = (PgBridgeLogFormat)i;
			return TRUE;
		}
	}
	return FALSE;
}

void
pg_bridge_import_options_init(PgBridgeImportOptions *options)
{
	memset(options, 0, sizeof(*options));
	options->max_line_bytes = 4096;
	options->max_lines = 10000000;
}

/* The date in a ZNC log's file name. */
static gboolean
pg_bridge_import_date_from_name(PgBridgeImport *self, const gchar *file_name, GError **error)
{
	g_autofree gchar *base = g_path_get_basename(file_name != NULL ? file_name : "");
	g_autoptr(GRegex) regex = g_regex_new("(\\d{4})-?(\\d\\d)-?(\\d\\d)", G_REGEX_RAW, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;

	if (g_regex_match(regex, base, 0, &match)) {
		g_autofree gchar *y = g_match_info_fetch(match, 1);
		g_autofree gchar *m = g_match_info_fetch(match, 2);
		g_autofree gchar *d = g_match_info_fetch(match, 3);

		self->year = atoi(y);
		self->month = atoi(m);
		self->day = atoi(d);
		if (g_date_valid_dmy(self->day, self->month, self->year))
			return TRUE;
	}
	g_set_error(error, PG_ERROR, PG_ERROR_BAD_REQUEST,
		    "%s: a ZNC log's name must hold its date (YYYY-MM-DD.log)", base);
	return FALSE;
}

PgBridgeImport *
pg_bridge_import_new(PgBridgeLogFormat format, const PgBridgeImportOptions *options,
		     GError **error)
{
	g_autoptr(PgBridgeImport) self = g_new0(PgBridgeImport, 1);

	g_return_val_if_fail(pg_bridge_log_format_to_string(format) != NULL, NULL);
	self->format = format;
	if (options != NULL)
		self->options = *options;
	else
		pg_bridge_import_options_init(&self->options);
	self->options.file_name = NULL; /* not ours to keep */
	self->options.max_line_bytes = MAX(self->options.max_line_bytes, 64);
	self->zone =
	    options != NULL && options->zone != NULL ? g_time_zone_ref(options->zone)
							 : g_time_zone_new_utc();
	self->options.zone = self->zone;
	self->partial = g_string_new(NULL);
	self->last_base_us = G_MININT64;
	switch (format) {
	case PG_BRIDGE_LOG_IRSSI:
		self->rules = pg_bridge_import_irssi;
		self->n_rules = G_N_ELEMENTS(pg_bridge_import_irssi);
		self->day_opened = g_regex_new("^--- Log opened \\S+ (\\S+) +(\\d{1,2}) "
					       "\\d\\d:\\d\\d:\\d\\d (\\d{4})",
					       0, 0, NULL);
		self->day_changed = g_regex_new(
		    "^--- Day changed \\S+ (\\S+) +(\\d{1,2})(?: (\\d{4}))?", 0, 0, NULL);
		break;
	case PG_BRIDGE_LOG_WEECHAT:
		self->rules = pg_bridge_import_weechat;
		self->n_rules = G_N_ELEMENTS(pg_bridge_import_weechat);
		break;
	case PG_BRIDGE_LOG_ZNC:
	default:
		self->rules = pg_bridge_import_znc;
		self->n_rules = G_N_ELEMENTS(pg_bridge_import_znc);
		if (!pg_bridge_import_date_from_name(self,
						     options != NULL ? options->file_name : NULL,
						     error))
			return NULL;
		break;
	}
	self->regexes = g_new0(GRegex *, self->n_rules);
	for (guint i = 0; i < self->n_rules; i++) {
		/* the patterns are ours: a failure is a programming error.  No
		 * G_REGEX_OPTIMIZE: PCRE2's JIT gives each match its own JIT stack
		 * (an mmap), which costs far more than it saves on lines this short. */
		self->regexes[i] = g_regex_new(self->rules[i].pattern, 0, 0, NULL);
		g_assert(self->regexes[i] != NULL);
	}
	return g_steal_pointer(&self);
}

void
pg_bridge_import_free(PgBridgeImport *self)
{
	if (self == NULL)
		return;
	for (guint i = 0; self->regexes != NULL && i < self->n_rules; i++)
		g_regex_unref(self->regexes[i]);
	g_free(self->regexes);
	g_clear_pointer(&self->day_opened, g_regex_unref);
	g_clear_pointer(&self->day_changed, g_regex_unref);
	g_clear_pointer(&self->zone, g_time_zone_unref);
	g_string_free(self->partial, TRUE);
	g_free(self);
}

const PgBridgeImportStats *
pg_bridge_import_get_stats(const PgBridgeImport *self)
{
	return &self->stats;
}

/* ------------------------------------------------------------- one line */

/* Reads @n digits at @p.  Returns: the number, or -1. */
static gint
pg_bridge_import_digits(const gchar *p, guint n)
{
	gint value = 0;

	for (guint i = 0; i < n; i++) {
		if (!g_ascii_isdigit(p[i]))
			return -1;
		value = value * 10 + (p[i] - '0');
	}
	return value;
}

static gint
pg_bridge_import_month(const gchar *name)
{
	static const gchar *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

	for (guint i = 0; i < G_N_ELEMENTS(months); i++) {
		if (g_ascii_strcasecmp(name, months[i]) == 0)
			return (gint)i + 1;
	}
	return 0;
}

/* irssi's "--- Log opened" and "--- Day changed".  Returns: TRUE if @line
 * was one of its "---" lines (whether or not it gave a date). */
static gboolean
pg_bridge_import_irssi_day(PgBridgeImport *self, const gchar *line)
{
	GRegex *regexes[] = {self->day_opened, self->day_changed};

	if (!g_str_has_prefix(line, "--- "))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(regexes); i++) {
		g_autoptr(GMatchInfo) match = NULL;
		g_autofree gchar *month = NULL;
		g_autofree gchar *day = NULL;
		g_autofree gchar *year = NULL;
		gint y, m, d;

		if (!g_regex_match(regexes[i], line, 0, &match))
			continue;
		month = g_match_info_fetch(match, 1);
		day = g_match_info_fetch(match, 2);
		year = g_match_info_fetch(match, 3);
		m = pg_bridge_import_month(month);
		d = atoi(day);
		/* old irssi wrote "Day changed Thu Dec 03": the year goes on */
		y = year != NULL && *year != '\0' ? atoi(year) : self->year;
		if (m > 0 && y > 0 && g_date_valid_dmy(d, m, y)) {
			self->year = y;
			self->month = m;
			self->day = d;
		}
		return TRUE;
	}
	return TRUE; /* "--- Log closed" and the like */
}

/* Splits the timestamp off @line.  Returns: the rest, and the time of day
 * in *@h, *@mi, *@s and the date in *@y, *@mo, *@d (0 if not known yet);
 * NULL if @line has none. */
static const gchar *
pg_bridge_import_timestamp(PgBridgeImport *self, const gchar *line, gint *y, gint *mo, gint *d,
			   gint *h, gint *mi, gint *s)
{
	*y = self->year;
	*mo = self->month;
	*d = self->day;
	*s = 0;
	switch (self->format) {
	case PG_BRIDGE_LOG_IRSSI:
		/* "HH:MM " or "HH:MM:SS " */
		*h = pg_bridge_import_digits(line, 2);
		if (*h < 0 || line[2] != ':' || (*mi = pg_bridge_import_digits(line + 3, 2)) < 0)
			return NULL;
		if (line[5] == ':') {
			if ((*s = pg_bridge_import_digits(line + 6, 2)) < 0 || line[8] != ' ')
				return NULL;
			return line + 9;
		}
		return line[5] == ' ' ? line + 6 : NULL;
	case PG_BRIDGE_LOG_WEECHAT:
		/* "YYYY-MM-DD HH:MM:SS\t" */
		if (strlen(line) < 20 || line[4] != '-' || line[7] != '-' || line[10] != ' ' ||
		    line[13] != ':' || line[16] != ':' || line[19] != '\t')
			return NULL;
		*y = pg_bridge_import_digits(line, 4);
		*mo = pg_bridge_import_digits(line + 5, 2);
		*d = pg_bridge_import_digits(line + 8, 2);
		*h = pg_bridge_import_digits(line + 11, 2);
		*mi = pg_bridge_import_digits(line + 14, 2);
		*s = pg_bridge_import_digits(line + 17, 2);
		return line + 20;
	case PG_BRIDGE_LOG_ZNC:
	default:
		/* "[HH:MM:SS] " */
		if (strlen(line) < 11 || line[0] != '[' || line[3] != ':' || line[6] != ':' ||
		    line[9] != ']' || line[10] != ' ')
			return NULL;
		*h = pg_bridge_import_digits(line + 1, 2);
		*mi = pg_bridge_import_digits(line + 4, 2);
		*s = pg_bridge_import_digits(line + 7, 2);
		return line + 11;
	}
}

/* Returns: the UTC time in µs of that local time, made unique in this
 * file; or G_MININT64 if it is no time (month 13, 25:00...). */
static gint64
pg_bridge_import_time(PgBridgeImport *self, gint y, gint mo, gint d, gint h, gint mi, gint s)
{
	g_autoptr(GDateTime) local = NULL;
	gint64 base;

	if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 60)
		return G_MININT64;
	local = g_date_time_new(self->zone, y, mo, d, h, mi, MIN(s, 59));
	if (local == NULL)
		return G_MININT64;
	base = g_date_time_to_unix(local) * G_USEC_PER_SEC;
	if (base == self->last_base_us) {
		self->same_base++;
	} else {
		self->last_base_us = base;
		self->same_base = 0;
	}
	return base + (gint64)self->same_base;
}

/* Returns: (transfer full) group @group of @match through pg-text as
 * @kind, trimmed; "" for group 0 or an unmatched group. */
static gchar *
pg_bridge_import_field(GMatchInfo *match, guint group, PgTextKind kind)
{
	g_autofree gchar *raw = group > 0 ? g_match_info_fetch(match, (gint)group) : NULL;
	gchar *clean = pg_text_sanitize(raw != NULL ? raw : "", -1, kind, NULL);

	return g_strstrip(clean);
}

static void
pg_bridge_import_line(PgBridgeImport *self, const gchar *raw, gsize len, GPtrArray *lines)
{
	g_autofree gchar *copy = NULL;
	g_autofree gchar *line = NULL;
	const gchar *rest;
	gint y, mo, d, h, mi, s;

	self->stats.lines_read++;
	if (len > 0 && raw[len - 1] == '\r')
		len--;
	if (!g_utf8_validate_len(raw, len, NULL)) {
		if (self->options.refuse_invalid_utf8) {
			self->stats.invalid_utf8_refused++;
			return;
		}
		self->stats.invalid_utf8_converted++;
	}
	/* UTF-8 now, controls still in: the fields go through pg-text once
	 * they are split, so that a control in a nick becomes '?' rather than
	 * vanish (pg-text.h, PG_TEXT_NAME).  A NUL would end the C string:
	 * it becomes DEL first, which every field kind drops or replaces. */
	copy = g_malloc(len + 1);
	for (gsize i = 0; i < len; i++)
		copy[i] = raw[i] != '\0' ? raw[i] : '\x7f';
	copy[len] = '\0';
	line = pg_text_sanitize(copy, (gssize)len, PG_TEXT_UTF8, NULL);
	if (self->format == PG_BRIDGE_LOG_IRSSI && pg_bridge_import_irssi_day(self, line))
		return;
	rest = pg_bridge_import_timestamp(self, line, &y, &mo, &d, &h, &mi, &s);
	if (rest == NULL || h < 0 || mi < 0 || s < 0) {
		self->stats.lines_unknown++;
		return;
	}
	for (guint i = 0; i < self->n_rules; i++) {
		const PgBridgeImportRule *rule = &self->rules[i];
		g_autoptr(GMatchInfo) match = NULL;
		g_autofree gchar *nick = NULL;
		g_autofree gchar *text = NULL;
		gint64 time_us;

		if (!g_regex_match(self->regexes[i], rest, 0, &match))
			continue;
		nick = pg_bridge_import_field(match, rule->nick, PG_TEXT_NAME);
		text = pg_bridge_import_field(match, rule->text, PG_TEXT_LINE);
		if (nick[0] == '\0')
			break;
		if (y == 0) {
			self->stats.lines_undated++;
			return;
		}
		time_us = pg_bridge_import_time(self, y, mo, d, h, mi, s);
		if (time_us == G_MININT64)
			break;
		if (rule->by > 0) {
			g_autofree gchar *by = pg_bridge_import_field(match, rule->by, PG_TEXT_NAME);
			g_autofree gchar *reason = g_steal_pointer(&text);

			text = reason[0] != '\0' ? g_strdup_printf("%s (%s)", by, reason)
						 : g_steal_pointer(&by);
		}
		g_ptr_array_add(lines, pg_bridge_line_new(time_us, nick, rule->kind, text));
		self->stats.lines_kept++;
		return;
	}
	self->stats.lines_unknown++;
}

/* --------------------------------------------------------------- stream */

void
pg_bridge_import_feed(PgBridgeImport *self, const gchar *data, gsize len, GPtrArray *lines)
{
	const gchar *end = data + len;

	while (data < end && !self->stats.truncated) {
		const gchar *newline = memchr(data, '\n', (gsize)(end - data));
		gsize chunk = (gsize)((newline != NULL ? newline : end) - data);

		if (!self->overlong) {
			if (self->partial->len + chunk > self->options.max_line_bytes) {
				/* drop what we have and skip to the line's end */
				self->overlong = TRUE;
				g_string_truncate(self->partial, 0);
			} else {
				g_string_append_len(self->partial, data, (gssize)chunk);
			}
		}
		if (newline == NULL)
			return;
		if (self->overlong) {
			self->stats.lines_read++;
			self->stats.lines_too_long++;
			self->overlong = FALSE;
		} else {
			pg_bridge_import_line(self, self->partial->str, self->partial->len, lines);
		}
		g_string_truncate(self->partial, 0);
		data = newline + 1;
		if (self->stats.lines_read >= self->options.max_lines && data < end)
			self->stats.truncated = TRUE;
	}
}

void
pg_bridge_import_finish(PgBridgeImport *self, GPtrArray *lines)
{
	if (self->stats.truncated)
		return;
	if ((self->overlong || self->partial->len > 0) &&
	    self->stats.lines_read >= self->options.max_lines) {
		self->stats.truncated = TRUE;
	} else if (self->overlong) {
		self->stats.lines_read++;
		self->stats.lines_too_long++;
	} else if (self->partial->len > 0) {
		pg_bridge_import_line(self, self->partial->str, self->partial->len, lines);
	}
	self->overlong = FALSE;
	g_string_truncate(self->partial, 0);
}

GPtrArray *
pg_bridge_import_parse(PgBridgeLogFormat format, const PgBridgeImportOptions *options,
		       const gchar *data, gsize len, PgBridgeImportStats *stats, GError **error)
{
	g_autoptr(PgBridgeImport) self = pg_bridge_import_new(format, options, error);
	GPtrArray *lines;

	if (self == NULL)
		return NULL;
	lines = g_ptr_array_new_with_free_func((GDestroyNotify)pg_bridge_line_free);
	pg_bridge_import_feed(self, data, len, lines);
	pg_bridge_import_finish(self, lines);
	if (stats != NULL)
		*stats = self->stats;
	return lines;
}
