/* IRC ban masks against nick!user@host (src/bridge/pg-bridge-mask.h). */
#include "config.h"

#include "bridge/pg-bridge-mask.h"

typedef struct {
	const gchar *mask;
	const gchar *who;
	gboolean match;
} PgMaskCase;

static const PgMaskCase cases[] = {
    {.mask = "bob!*@*", .who = "bob!~b@host.example", .match = TRUE},
    {.mask = "BOB!*@*", .who = "bob!~b@host.example", .match = TRUE},
    {.mask = "bob", .who = "Bob!~b@host.example", .match = TRUE},
    {.mask = "bo?!*@*", .who = "bob!~b@h", .match = TRUE},
    {.mask = "bo?!*@*", .who = "bo!~b@h", .match = FALSE},
    {.mask = "*!*@*.example", .who = "bob!~b@host.example", .match = TRUE},
    {.mask = "*!*@*.example", .who = "bob!~b@example", .match = FALSE},
    {.mask = "*@host.example", .who = "bob!~b@HOST.example", .match = TRUE},
    {.mask = "*!~b@*", .who = "bob!~b@h", .match = TRUE},
    {.mask = "*!b@*", .who = "bob!~b@h", .match = FALSE},
    {.mask = "alice!*@*", .who = "bob!~b@h", .match = FALSE},
    {.mask = "b*b!*@*", .who = "bob!~b@h", .match = TRUE},
    {.mask = "b*b!*@*", .who = "bobby!~b@h", .match = FALSE},
    {.mask = "***!*@*", .who = "x!y@z", .match = TRUE},
    /* RFC 1459 case mapping: [ ] \ ~ are the upper case of { } | ^ */
    {.mask = "nick[a]!*@*", .who = "NICK{A}!u@h", .match = TRUE},
    {.mask = "a\\b!*@*", .who = "a|b!u@h", .match = TRUE},
    /* unknown user and host: only a nick-only mask can tell */
    {.mask = "bob!*@*", .who = "bob", .match = TRUE},
    {.mask = "*!*@host", .who = "bob", .match = FALSE},
    /* extended bans name no nick!user@host */
    {.mask = "$a:bob", .who = "bob!~b@h", .match = FALSE},
    {.mask = "~q:bob!*@*", .who = "bob!~b@h", .match = FALSE},
    {.mask = "", .who = "bob!~b@h", .match = FALSE},
    {.mask = "*", .who = "bob!~b@h", .match = TRUE},
};

static void
test_bridge_mask_table(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("%s vs %s", cases[i].mask, cases[i].who);
		g_assert_cmpint(pg_bridge_mask_match(cases[i].mask, cases[i].who), ==,
				cases[i].match);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_bug_base("issue ");
	g_test_add_func("/bridge/mask/table", test_bridge_mask_table);
	return g_test_run();
}
