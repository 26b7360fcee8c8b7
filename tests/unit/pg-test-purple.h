/* A real session manager with one purple transport and one registered user
 * whose link never logs in (no worker), for the unit tests of the session
 * layers that a worker's events drive (test-prompts.c, test-roster.c). */
#pragma once

#include <strophe.h>

#include "core/pg-config.h"
#include "registry/pg-registry.h"
#include "registry/pg-vault.h"
#include "session/pg-session-manager.h"
#include "session/pg-session-private.h"
#include "xmpp/pg-transport.h"

#define PG_TEST_PURPLE "purple.example.org"
#define PG_TEST_USER   "alice@example.org"

typedef struct {
	gchar *dir;
	PgConfig *config;
	PgVault *vault;
	PgRegistry *registry;
	PgTransport *purple;
	PgSessionManager *manager;
	xmpp_ctx_t *ctx;
	GPtrArray *sent; /* xmpp_stanza_t: what the transport sent */
	PgLink *link;    /* the user's link, logging in */
	/* the transport's plugin as a probe found it: a buddy-list network
	 * that sends typing and has no receipts, unless a test changes it */
	PgProtocolInfo *info;
} PgTestFixture;

/* Sets @fixture up; @transport_extra is appended to the transport's config
 * group (e.g. "prompt_timeout = 1\n"), or NULL. */
void pg_test_purple_setup(PgTestFixture *fixture, const gchar *transport_extra);
void pg_test_purple_teardown(PgTestFixture *fixture);
/* @xml as a stanza from the XMPP server to the transport. */
void pg_test_receive(PgTestFixture *fixture, const gchar *xml);
