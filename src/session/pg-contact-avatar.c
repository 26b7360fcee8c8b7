/* Legacy buddies' icons as XEP-0153 vCard-based avatars.
 *
 * DESIGN: why XEP-0153 and not XEP-0084 (PEP avatars).  Both are shown by
 * the clients people use with transports (Gajim, Conversations, Psi,
 * Pidgin; Dino shows XEP-0084 and, for contacts, vCard avatars too), but
 * only XEP-0153 works for a JID that lives on a component: the contact's
 * presence carries the image's hash (§4.1), and the client fetches the
 * image with a vcard-temp get to the contact's JID (XEP-0054 §3.1), which
 * the gateway answers itself.  XEP-0084 needs the contact's JID to be a
 * PEP service (XEP-0163) that the user's client subscribes to through its
 * caps +notify: the user's server hosts PEP only for its own accounts, so
 * the gateway would have to be a pubsub service per contact.  Spectrum 2
 * and biboumi give contacts vCard avatars for the same reason.
 *
 * Bounds (a worker is untrusted): an icon of a buddy on the link's list
 * only, of an image type from a closed list, at most PG_CONTACT_AVATAR_MAX
 * bytes, and all of a user's icons together within
 * max_avatar_bytes_per_user (pg-limits.h; each refusal counted).  An icon
 * that does not fit is dropped: the contact shows no avatar.
 *
 * XEP-0153 §4.3: when an icon changes, the contact's presence goes again
 * with the new hash, so the client fetches the new vCard.
 */
#define G_LOG_DOMAIN "pg-session"

#include "config.h"

#include <string.h>

#include "core/pg-error.h"
#include "session/pg-contact-avatar.h"
#include "session/pg-limits.h"
#include "stanza/pg-stanza.h"

typedef struct {
	GBytes *data;
	gchar *type;
	gchar *hash; /* XEP-0153 §4.1: hex SHA-1 of the image */
} PgContactAvatar;

static void
pg_contact_avatar_free(PgContactAvatar *avatar)
{
	g_bytes_unref(avatar->data);
	g_free(avatar->type);
	g_free(avatar->hash);
	g_free(avatar);
}

/* The link's table (contact JID -> PgContactAvatar: presences know their
 * contact by JID), made on first use; the session records (pg-session.c)
 * free it. */
static GHashTable *
pg_contact_avatar_table(PgLink *link)
{
	if (link->avatars == NULL)
		link->avatars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						      (GDestroyNotify)pg_contact_avatar_free);
	return link->avatars;
}

guint64
pg_contact_avatar_bytes(PgLink *link)
{
	GHashTableIter iter;
	gpointer value;
	guint64 bytes = 0;

	if (link->avatars == NULL)
		return 0;
	g_hash_table_iter_init(&iter, link->avatars);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		bytes += g_bytes_get_size(((PgContactAvatar *)value)->data);
	return bytes;
}

/* The bytes of every avatar of @link's session but contact @jid's on @link. */
static guint64
pg_contact_avatar_session_bytes(PgLink *link, const gchar *jid)
{
	PgContactAvatar *own =
	    link->avatars != NULL ? g_hash_table_lookup(link->avatars, jid) : NULL;
	GHashTableIter iter;
	gpointer value;
	guint64 bytes = 0;

	g_hash_table_iter_init(&iter, link->session->links);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		bytes += pg_contact_avatar_bytes(value);
	return bytes - (own != NULL ? g_bytes_get_size(own->data) : 0);
}

/* Image types a client shows (XEP-0153 §5 points at XEP-0084's list:
 * image/png is the one every client knows; the others are common). */
static gboolean
pg_contact_avatar_type_ok(const gchar *type)
{
	return g_strv_contains((const gchar *const[]){"image/png", "image/gif", "image/jpeg",
						      "image/webp", "image/bmp", NULL},
			       type != NULL ? type : "");
}

gboolean
pg_contact_avatar_store(PgLink *link, const gchar *jid, const gchar *type, GVariant *value)
{
	g_autoptr(GError) error = NULL;
	GHashTable *avatars = pg_contact_avatar_table(link);
	PgContactAvatar *avatar;
	gsize len = 0;
	gconstpointer data = value != NULL ? g_variant_get_fixed_array(value, &len, 1) : NULL;

	if (data == NULL || len == 0)
		return g_hash_table_remove(avatars, jid);
	if (len > PG_CONTACT_AVATAR_MAX || !pg_contact_avatar_type_ok(type) ||
	    !pg_limits_check(link->session->manager->limits,
			     pg_transport_get_config(link->session->transport), PG_LIMIT_AVATAR_BYTES,
			     pg_contact_avatar_session_bytes(link, jid), len, &error)) {
		g_debug("%s: an icon of %" G_GSIZE_FORMAT " bytes (%s) not kept%s%s", link->account,
			len, type != NULL ? type : "no type", error != NULL ? ": " : "",
			error != NULL ? error->message : "");
		return g_hash_table_remove(avatars, jid);
	}
	avatar = g_new0(PgContactAvatar, 1);
	avatar->data = g_bytes_new(data, len);
	avatar->type = g_strdup(type);
	avatar->hash = g_compute_checksum_for_data(G_CHECKSUM_SHA1, data, len);
	g_hash_table_replace(avatars, g_strdup(jid), avatar);
	return TRUE;
}

void
pg_contact_avatar_add_update(PgLink *link, const gchar *jid, xmpp_stanza_t *presence)
{
	PgContactAvatar *avatar =
	    link->avatars != NULL ? g_hash_table_lookup(link->avatars, jid) : NULL;
	xmpp_stanza_t *x;

	if (avatar == NULL)
		return;
	x = pg_stanza_add_child(presence, "x", PG_NS_VCARD_UPDATE);
	pg_stanza_add_text_child(x, "photo", avatar->hash);
}

xmpp_stanza_t *
pg_contact_avatar_vcard_reply(PgLink *link, const gchar *who, xmpp_stanza_t *iq)
{
	g_autofree gchar *jid = link != NULL ? pg_session_contact_jid(link, who) : NULL;
	PgContactAvatar *avatar =
	    link != NULL && link->avatars != NULL ? g_hash_table_lookup(link->avatars, jid) : NULL;
	PgRosterBuddy *buddy =
	    link != NULL && link->buddies != NULL ? g_hash_table_lookup(link->buddies, who) : NULL;
	xmpp_stanza_t *reply = pg_stanza_iq_result(iq);
	xmpp_stanza_t *vcard;

	if (reply == NULL)
		return NULL;
	/* XEP-0054 §3.1: a contact with nothing to say has an empty vCard */
	vcard = pg_stanza_add_child(reply, "vCard", PG_NS_VCARD);
	if (buddy != NULL && buddy->alias != NULL)
		pg_stanza_add_text_child(vcard, "NICKNAME", buddy->alias);
	if (avatar != NULL) {
		xmpp_stanza_t *photo = pg_stanza_add_child(vcard, "PHOTO", NULL);
		g_autofree gchar *base64 = g_base64_encode(g_bytes_get_data(avatar->data, NULL),
							   g_bytes_get_size(avatar->data));
		pg_stanza_add_text_child(photo, "TYPE", avatar->type);
		pg_stanza_add_text_child(photo, "BINVAL", base64);
	}
	return reply;
}

gboolean
pg_contact_avatar_handle_iq(PgSessionManager *self, PgTransport *transport, xmpp_stanza_t *iq,
			    const gchar *user_jid, const PgJid *to)
{
	g_autoptr(PgNetworkAddress) address = NULL;
	PgSession *session;
	PgLink *link = NULL;
	xmpp_stanza_t *reply;

	if (xmpp_stanza_get_child_by_name_and_ns(iq, "vCard", PG_NS_VCARD) == NULL ||
	    g_strcmp0(xmpp_stanza_get_type(iq), "get") != 0 || to->local == NULL ||
	    !pg_network_has(pg_session_network(transport), PG_NETWORK_BUDDY_LIST))
		return FALSE;
	address = pg_session_parse_address(transport, to, NULL);
	if (address == NULL || address->is_room)
		return FALSE;
	session = pg_session_lookup(self, user_jid, transport);
	if (session != NULL)
		link = g_hash_table_lookup(session->links, address->server);
	reply = pg_contact_avatar_vcard_reply(link, address->name, iq);
	if (reply != NULL) {
		pg_transport_send(transport, reply);
		xmpp_stanza_release(reply);
	}
	return TRUE;
}
