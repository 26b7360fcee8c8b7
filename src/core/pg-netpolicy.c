/* The operator's policy on which servers users may reach (pg-netpolicy.h).
 *
 * DESIGN: entries are parsed once at config load; a check walks the lists
 * (a handful of entries) with no allocation on the refusing path except the
 * error.  Addresses are compared as bytes after mapping IPv4-in-IPv6 forms
 * to IPv4, so one IPv4 range covers every spelling of its addresses.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/pg-error.h"
#include "core/pg-netpolicy.h"

typedef enum {
	PG_NET_ENTRY_NAME,     /* exact host name */
	PG_NET_ENTRY_SUFFIX,   /* *.domain: names below domain */
	PG_NET_ENTRY_ANY,      /* *: every server */
	PG_NET_ENTRY_RANGE,    /* address/prefix */
} PgNetEntryKind;

typedef struct {
	PgNetEntryKind kind;
	gchar *name;           /* NAME: the name; SUFFIX: ".domain" */
	PgNetAddress address;  /* RANGE */
	guint prefix;          /* RANGE: bits */
	guint16 port;          /* 0 = any */
	gchar *text;           /* as the operator wrote it, for messages */
} PgNetEntry;

struct _PgNetPolicy {
	GPtrArray *allow; /* PgNetEntry */
	GPtrArray *deny;
	gboolean allow_ranges; /* the allow list has address entries */
};

typedef struct {
	const gchar *kind;
	guint8 family;
	guint8 bytes[16];
	guint prefix;
} PgNetSpecial;

/* RFC 6890 special-purpose ranges a user must not reach by default */
static const PgNetSpecial pg_net_specials[] = {
    {"unspecified", 4, {0, 0, 0, 0}, 8},        /* RFC 1122 "this network" */
    {"private", 4, {10, 0, 0, 0}, 8},           /* RFC 1918 */
    {"private", 4, {100, 64, 0, 0}, 10},        /* RFC 6598 shared (CGNAT) */
    {"loopback", 4, {127, 0, 0, 0}, 8},
    {"link-local", 4, {169, 254, 0, 0}, 16},    /* RFC 3927 */
    {"private", 4, {172, 16, 0, 0}, 12},        /* RFC 1918 */
    {"private", 4, {192, 168, 0, 0}, 16},       /* RFC 1918 */
    {"multicast", 4, {224, 0, 0, 0}, 4},
    {"reserved", 4, {240, 0, 0, 0}, 4},         /* and 255.255.255.255 */
    {"unspecified", 6, {0}, 128},
    {"loopback", 6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
    {"private", 6, {0xfc}, 7},                  /* RFC 4193 unique local */
    {"link-local", 6, {0xfe, 0x80}, 10},
    {"private", 6, {0xfe, 0xc0}, 10},           /* RFC 3879 site-local */
    {"multicast", 6, {0xff}, 8},
};

static void
pg_net_entry_free(PgNetEntry *entry)
{
	g_free(entry->name);
	g_free(entry->text);
	g_free(entry);
}

PgNetPolicy *
pg_net_policy_new(void)
{
	PgNetPolicy *self = g_new0(PgNetPolicy, 1);
	self->allow = g_ptr_array_new_with_free_func((GDestroyNotify)pg_net_entry_free);
	self->deny = g_ptr_array_new_with_free_func((GDestroyNotify)pg_net_entry_free);
	return self;
}

void
pg_net_policy_free(PgNetPolicy *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref(self->allow);
	g_ptr_array_unref(self->deny);
	g_free(self);
}

gboolean
pg_net_policy_has_allow_list(const PgNetPolicy *self)
{
	return self != NULL && self->allow->len > 0;
}

/* ---------------------------------------------------------------- addresses */

void
pg_net_address_set(PgNetAddress *address, const guint8 *bytes, gsize len)
{
	memset(address, 0, sizeof(*address));
	address->family = len == 4 ? 4 : 6;
	memcpy(address->bytes, bytes, len == 4 ? 4 : 16);
}

/* IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96 (but :: and ::1) and
 * NAT64 64:ff9b::/96 (RFC 6052) carry an IPv4 address: judge that one. */
static PgNetAddress
pg_net_address_canonical(const PgNetAddress *address)
{
	static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const guint8 compat[12] = {0};
	static const guint8 nat64[12] = {0, 0x64, 0xff, 0x9b};
	PgNetAddress out = *address;

	if (address->family != 6)
		return out;
	if (memcmp(address->bytes, mapped, 12) == 0 || memcmp(address->bytes, nat64, 12) == 0 ||
	    (memcmp(address->bytes, compat, 12) == 0 &&
	     (address->bytes[12] | address->bytes[13] | address->bytes[14]) != 0))
		pg_net_address_set(&out, address->bytes + 12, 4);
	return out;
}

gboolean
pg_net_address_parse(const gchar *text, PgNetAddress *address)
{
	guint8 bytes[16];

	if (text == NULL)
		return FALSE;
	if (inet_pton(AF_INET, text, bytes) == 1) {
		pg_net_address_set(address, bytes, 4);
		return TRUE;
	}
	if (inet_pton(AF_INET6, text, bytes) == 1) {
		pg_net_address_set(address, bytes, 16);
		return TRUE;
	}
	return FALSE;
}

gchar *
pg_net_address_to_string(const PgNetAddress *address)
{
	gchar text[INET6_ADDRSTRLEN] = "";

	inet_ntop(address->family == 4 ? AF_INET : AF_INET6, address->bytes, text, sizeof(text));
	return g_strdup(text);
}

static gboolean
pg_net_address_in(const PgNetAddress *address, guint8 family, const guint8 *bytes,
		  guint prefix)
{
	guint whole = prefix / 8;
	guint rest = prefix % 8;

	if (address->family != family)
		return FALSE;
	if (memcmp(address->bytes, bytes, whole) != 0)
		return FALSE;
	if (rest == 0)
		return TRUE;
	return ((address->bytes[whole] ^ bytes[whole]) & (0xff << (8 - rest))) == 0;
}

const gchar *
pg_net_address_special(const PgNetAddress *address)
{
	PgNetAddress canonical = pg_net_address_canonical(address);

	for (gsize i = 0; i < G_N_ELEMENTS(pg_net_specials); i++) {
		const PgNetSpecial *special = &pg_net_specials[i];
		if (pg_net_address_in(&canonical, special->family, special->bytes, special->prefix))
			return special->kind;
	}
	return NULL;
}

gboolean
pg_net_address_is_loopback(const PgNetAddress *address)
{
	return g_strcmp0(pg_net_address_special(address), "loopback") == 0;
}

/* ---------------------------------------------------------------- names */

/* Lower case, without one trailing dot.  (transfer full) */
static gchar *
pg_net_normalize_name(const gchar *host)
{
	gchar *name = g_ascii_strdown(host, -1);
	gsize len = strlen(name);

	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	return name;
}

/* A DNS host name (RFC 1123 §2.1 letters, digits, hyphens, dots; '_' as
 * some networks use) whose last label is not all digits: "127.1" and
 * "0x7f000001" would read as addresses to inet_aton(). */
static gboolean
pg_net_is_host_name(const gchar *name)
{
	const gchar *last = strrchr(name, '.');
	struct in_addr ignored;
	gboolean all_digits = TRUE;

	if (name[0] == '\0' || strlen(name) > 253 || name[0] == '.' || name[0] == '-' ||
	    strstr(name, "..") != NULL)
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_')
			return FALSE;
	}
	last = last != NULL ? last + 1 : name;
	for (const gchar *p = last; *p != '\0'; p++)
		all_digits = all_digits && g_ascii_isdigit(*p);
	return !all_digits && inet_aton(name, &ignored) == 0;
}

gboolean
pg_net_is_server_name(const gchar *text)
{
	g_autofree gchar *name = NULL;
	PgNetAddress ignored;

	if (text == NULL)
		return FALSE;
	name = pg_net_normalize_name(text);
	return pg_net_address_parse(name, &ignored) || pg_net_is_host_name(name);
}

/* ---------------------------------------------------------------- entries */

static gboolean
pg_net_parse_port(const gchar *text, guint16 *port)
{
	guint64 value = 0;

	if (!g_ascii_string_to_unsigned(text, 10, 1, 65535, &value, NULL))
		return FALSE;
	*port = (guint16)value;
	return TRUE;
}

/* "addr" or "addr/prefix" into @entry. */
static gboolean
pg_net_parse_range(const gchar *text, PgNetEntry *entry)
{
	g_auto(GStrv) parts = g_strsplit(text, "/", 2);
	guint64 prefix;
	guint max;

	if (!pg_net_address_parse(parts[0], &entry->address))
		return FALSE;
	max = entry->address.family == 4 ? 32 : 128;
	prefix = max;
	if (parts[1] != NULL && !g_ascii_string_to_unsigned(parts[1], 10, 0, max, &prefix, NULL))
		return FALSE;
	entry->kind = PG_NET_ENTRY_RANGE;
	entry->prefix = (guint)prefix;
	/* ::ffff:a.b.c.d/120 is the IPv4 range a.b.c.d/24 */
	if (entry->address.family == 6 && entry->prefix >= 96) {
		PgNetAddress canonical = pg_net_address_canonical(&entry->address);
		if (canonical.family == 4) {
			entry->address = canonical;
			entry->prefix -= 96;
		}
	}
	return TRUE;
}

static gboolean
pg_net_parse_entry(const gchar *text, PgNetEntry *entry)
{
	g_autofree gchar *host = NULL;
	const gchar *colon;

	if (text[0] == '[') {
		/* [v6], [v6/prefix], optionally :port */
		const gchar *end = strchr(text, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return FALSE;
		if (end[1] == ':' && !pg_net_parse_port(end + 2, &entry->port))
			return FALSE;
		host = g_strndup(text + 1, end - text - 1);
		return strchr(host, ':') != NULL && pg_net_parse_range(host, entry);
	}
	colon = strchr(text, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		return pg_net_parse_range(text, entry); /* bare IPv6, no port */
	if (colon != NULL && !pg_net_parse_port(colon + 1, &entry->port))
		return FALSE;
	host = colon != NULL ? g_strndup(text, colon - text) : g_strdup(text);
	if (pg_net_parse_range(host, entry))
		return TRUE;
	if (g_strcmp0(host, "*") == 0) {
		entry->kind = PG_NET_ENTRY_ANY;
		return TRUE;
	}
	if (g_str_has_prefix(host, "*.")) {
		g_autofree gchar *domain = pg_net_normalize_name(host + 2);
		if (!pg_net_is_host_name(domain))
			return FALSE;
		entry->kind = PG_NET_ENTRY_SUFFIX;
		entry->name = g_strconcat(".", domain, NULL);
		return TRUE;
	}
	entry->name = pg_net_normalize_name(host);
	entry->kind = PG_NET_ENTRY_NAME;
	return pg_net_is_host_name(entry->name);
}

gboolean
pg_net_policy_add(PgNetPolicy *self, gboolean allow, const gchar *entry_text, GError **error)
{
	g_autofree gchar *text = g_strstrip(g_strdup(entry_text));
	PgNetEntry *entry = g_new0(PgNetEntry, 1);

	if (!pg_net_parse_entry(text, entry)) {
		pg_net_entry_free(entry);
		g_set_error(error, PG_ERROR, PG_ERROR_CONFIG,
			    "'%s' is not a host name (irc.example.net, *.example.net, *), an "
			    "address or CIDR range (192.0.2.0/24, [2001:db8::/32]), each with an "
			    "optional :port",
			    text);
		return FALSE;
	}
	entry->text = g_steal_pointer(&text);
	if (allow && entry->kind == PG_NET_ENTRY_RANGE)
		self->allow_ranges = TRUE;
	g_ptr_array_add(allow ? self->allow : self->deny, entry);
	return TRUE;
}

/* ---------------------------------------------------------------- checks */

static gboolean
pg_net_entry_matches_name(const PgNetEntry *entry, const gchar *name, gboolean literal,
			  guint16 port)
{
	if (entry->port != 0 && entry->port != port)
		return FALSE;
	switch (entry->kind) {
	case PG_NET_ENTRY_ANY:
		return TRUE;
	case PG_NET_ENTRY_NAME:
		return !literal && strcmp(entry->name, name) == 0;
	case PG_NET_ENTRY_SUFFIX:
		return !literal && g_str_has_suffix(name, entry->name);
	case PG_NET_ENTRY_RANGE:
	default:
		return FALSE;
	}
}

static gboolean
pg_net_entry_matches_address(const PgNetEntry *entry, const PgNetAddress *address,
			     guint16 port)
{
	PgNetAddress canonical = pg_net_address_canonical(address);

	if (entry->kind != PG_NET_ENTRY_RANGE || (entry->port != 0 && entry->port != port))
		return FALSE;
	return pg_net_address_in(&canonical, entry->address.family, entry->address.bytes,
				 entry->prefix);
}

static const PgNetEntry *
pg_net_find_name(GPtrArray *entries, const gchar *name, gboolean literal, guint16 port)
{
	for (guint i = 0; i < entries->len; i++) {
		const PgNetEntry *entry = g_ptr_array_index(entries, i);
		if (pg_net_entry_matches_name(entry, name, literal, port))
			return entry;
	}
	return NULL;
}

static const PgNetEntry *
pg_net_find_address(GPtrArray *entries, const PgNetAddress *address, guint16 port)
{
	for (guint i = 0; i < entries->len; i++) {
		const PgNetEntry *entry = g_ptr_array_index(entries, i);
		if (pg_net_entry_matches_address(entry, address, port))
			return entry;
	}
	return NULL;
}

static gboolean
pg_net_refuse(GError **error, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
pg_net_refuse(GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error_literal(error, PG_ERROR, PG_ERROR_NOT_ALLOWED, text);
	return FALSE;
}

gboolean
pg_net_policy_check(const PgNetPolicy *self, const gchar *host, guint16 port,
		    const PgNetAddress *addresses, gsize n_addresses, GError **error)
{
	g_autofree gchar *name = pg_net_normalize_name(host != NULL ? host : "");
	PgNetAddress literal;
	gboolean is_literal = pg_net_address_parse(name, &literal);
	gboolean name_allowed;

	if (!is_literal && !pg_net_is_host_name(name))
		return pg_net_refuse(error, "'%s' is neither a host name nor an IP address", name);
	if (is_literal) {
		addresses = &literal;
		n_addresses = 1;
	}
	if (pg_net_find_name(self->deny, name, is_literal, port) != NULL)
		return pg_net_refuse(error, "this gateway does not connect to %s", name);
	name_allowed = pg_net_find_name(self->allow, name, is_literal, port) != NULL;
	if (pg_net_policy_has_allow_list(self) && !name_allowed && !self->allow_ranges)
		return pg_net_refuse(error, "%s (port %u) is not among the IRC servers this "
				     "gateway connects to", name, port);
	if (n_addresses == 0)
		return TRUE; /* the rest needs the addresses */

	for (gsize i = 0; i < n_addresses; i++) {
		if (pg_net_find_address(self->deny, &addresses[i], port) != NULL)
			return pg_net_refuse(error, "this gateway does not connect to %s", name);
	}
	if (pg_net_policy_has_allow_list(self) && !name_allowed) {
		for (gsize i = 0; i < n_addresses; i++) {
			if (pg_net_find_address(self->allow, &addresses[i], port) == NULL)
				return pg_net_refuse(error, "%s (port %u) is not among the IRC "
						     "servers this gateway connects to",
						     name, port);
		}
	}
	for (gsize i = 0; i < n_addresses; i++) {
		const gchar *special = pg_net_address_special(&addresses[i]);
		g_autofree gchar *text = NULL;

		if (special == NULL || pg_net_find_address(self->allow, &addresses[i], port) != NULL)
			continue;
		text = pg_net_address_to_string(&addresses[i]);
		if (is_literal)
			return pg_net_refuse(error, "%s is a %s address, which this gateway does "
						    "not connect to", name, special);
		return pg_net_refuse(error, "%s resolves to a %s address (%s), which this "
					    "gateway does not connect to", name, special, text);
	}
	return TRUE;
}

/* ---------------------------------------------------------------- ports */

typedef struct {
	guint16 low;
	guint16 high;
} PgNetPortRange;

struct _PgNetPorts {
	GArray *ranges; /* PgNetPortRange, as given */
};

void
pg_net_ports_free(PgNetPorts *self)
{
	if (self == NULL)
		return;
	g_array_unref(self->ranges);
	g_free(self);
}

PgNetPorts *
pg_net_ports_parse(const gchar *const *entries, GError **error)
{
	g_autoptr(PgNetPorts) self = g_new0(PgNetPorts, 1);
	guint used = 0;

	self->ranges = g_array_new(FALSE, FALSE, sizeof(PgNetPortRange));
	for (gsize i = 0; entries != NULL && entries[i] != NULL; i++) {
		g_autofree gchar *text = g_strstrip(g_strdup(entries[i]));
		g_auto(GStrv) bounds = NULL;
		PgNetPortRange range;

		if (text[0] == '\0')
			continue;
		used++;
		if (g_ascii_strcasecmp(text, "none") == 0)
			continue;
		bounds = g_strsplit(text, "-", 2);
		if (!pg_net_parse_port(g_strstrip(bounds[0]), &range.low) ||
		    (bounds[1] != NULL && !pg_net_parse_port(g_strstrip(bounds[1]), &range.high))) {
			g_set_error(error, PG_ERROR, PG_ERROR_CONFIG,
				    "'%s' is not a port (1 to 65535) or a range of them (6665-6669)",
				    text);
			return NULL;
		}
		if (bounds[1] == NULL)
			range.high = range.low;
		if (range.high < range.low) {
			g_set_error(error, PG_ERROR, PG_ERROR_CONFIG,
				    "'%s': the range ends before it starts", text);
			return NULL;
		}
		g_array_append_val(self->ranges, range);
	}
	if (used == 0) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CONFIG,
				    "needs at least one port or range, or none");
		return NULL;
	}
	if (self->ranges->len > 0 && used != self->ranges->len) {
		g_set_error_literal(error, PG_ERROR, PG_ERROR_CONFIG,
				    "none cannot stand with ports beside it");
		return NULL;
	}
	return g_steal_pointer(&self);
}

gboolean
pg_net_ports_contains(const PgNetPorts *self, guint16 port)
{
	for (guint i = 0; self != NULL && i < self->ranges->len; i++) {
		const PgNetPortRange *range = &g_array_index(self->ranges, PgNetPortRange, i);
		if (port >= range->low && port <= range->high)
			return TRUE;
	}
	return FALSE;
}

gchar *
pg_net_ports_to_string(const PgNetPorts *self)
{
	GString *text = g_string_new(NULL);

	for (guint i = 0; self != NULL && i < self->ranges->len; i++) {
		const PgNetPortRange *range = &g_array_index(self->ranges, PgNetPortRange, i);
		if (text->len > 0)
			g_string_append(text, ", ");
		if (range->low == range->high)
			g_string_append_printf(text, "%u", range->low);
		else
			g_string_append_printf(text, "%u-%u", range->low, range->high);
	}
	if (text->len == 0)
		g_string_append(text, "none");
	return g_string_free(text, FALSE);
}
