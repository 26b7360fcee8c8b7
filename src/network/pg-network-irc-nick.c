/* IRC nicknames (pg-network-irc.h): shared by the driver and its
 * per-server settings, each of which uses it, so it is a file of its own. */
#include "config.h"

#include <string.h>

#include "network/pg-network-irc.h"

/* RFC 2812 §2.3.1: nickname = ( letter / special ) *( letter / digit / special
 * / "-" ), special = "[", "]", "\", "`", "_", "^", "{", "|", "}"; @len bytes of
 * @nick. */
gboolean
pg_network_irc_is_valid_nick_len(const gchar *nick, gsize len)
{
	static const gchar *special = "[]\\`_^{|}";

	if (len == 0 || len > 64)
		return FALSE;
	if (!g_ascii_isalpha(nick[0]) && strchr(special, nick[0]) == NULL)
		return FALSE;
	for (gsize i = 1; i < len; i++) {
		if (!g_ascii_isalnum(nick[i]) && nick[i] != '-' &&
		    (nick[i] == '\0' || strchr(special, nick[i]) == NULL))
			return FALSE;
	}
	return TRUE;
}

gboolean
pg_network_irc_is_valid_nick(const gchar *nick)
{
	return nick != NULL && pg_network_irc_is_valid_nick_len(nick, strlen(nick));
}
