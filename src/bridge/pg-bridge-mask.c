/* IRC ban masks (pg-bridge-mask.h). */
#include "config.h"

#include <string.h>

#include "bridge/pg-bridge-mask.h"

/* RFC 2812 §2.2: "the characters {}|^ are considered to be the lower case
 * equivalents of the characters []\~ respectively". */
static gchar
pg_bridge_mask_fold(gchar c)
{
	switch (c) {
	case '[':
		return '{';
	case ']':
		return '}';
	case '\\':
		return '|';
	case '~':
		return '^';
	default:
		return g_ascii_tolower(c);
	}
}

/* '*' and '?' over bytes: the greedy match with one backtrack point, linear
 * in practice and never recursive (a mask is the network's, any length). */
static gboolean
pg_bridge_mask_glob(const gchar *pattern, const gchar *text)
{
	const gchar *star = NULL;
	const gchar *resume = NULL;

	while (*text != '\0') {
		if (*pattern == '*') {
			star = pattern++;
			resume = text;
		} else if (*pattern != '\0' &&
			   (*pattern == '?' ||
			    pg_bridge_mask_fold(*pattern) == pg_bridge_mask_fold(*text))) {
			pattern++;
			text++;
		} else if (star != NULL) {
			pattern = star + 1;
			text = ++resume;
		} else {
			return FALSE;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static gboolean
pg_bridge_mask_is_extended(const gchar *mask)
{
	/* "$a:account" (charybdis, InspIRCd), "~q:mask" (UnrealIRCd, InspIRCd) */
	return mask[0] == '$' || (mask[0] == '~' && g_ascii_isalpha(mask[1]) && mask[2] == ':');
}

static gboolean
pg_bridge_mask_only_stars(const gchar *text)
{
	return text[strspn(text, "*")] == '\0';
}

gboolean
pg_bridge_mask_match(const gchar *mask, const gchar *who)
{
	g_autofree gchar *full = NULL;
	const gchar *bang;
	const gchar *at;

	if (mask == NULL || who == NULL || mask[0] == '\0' || pg_bridge_mask_is_extended(mask))
		return FALSE;
	/* written out in full, as a server does */
	bang = strchr(mask, '!');
	at = strchr(bang != NULL ? bang : mask, '@');
	if (bang != NULL)
		full = at != NULL ? g_strdup(mask) : g_strconcat(mask, "@*", NULL);
	else
		full = strchr(mask, '@') != NULL ? g_strconcat("*!", mask, NULL)
						 : g_strconcat(mask, "!*@*", NULL);
	if (strchr(who, '!') == NULL) {
		/* only the nick is known: the mask may say nothing else */
		g_autofree gchar *nick = g_strndup(full, strcspn(full, "!"));
		const gchar *rest = full + strlen(nick) + 1;
		const gchar *rest_at = strchr(rest, '@');
		g_autofree gchar *user = g_strndup(rest, rest_at - rest);
		return pg_bridge_mask_only_stars(user) && pg_bridge_mask_only_stars(rest_at + 1) &&
		       pg_bridge_mask_glob(nick, who);
	}
	return pg_bridge_mask_glob(full, who);
}
