/* Fuzz target: the worker protocol decoder must turn any bytes into a
 * message or an error, never a crash (src/ipc/pg-ipc-message.h: "Any
 * failure is a GError (PG_ERROR_BAD_REQUEST), never a crash"). */
#include "config.h"

#include "ipc/pg-ipc-message.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	for (PgIpcRole role = PG_IPC_ROLE_DAEMON; role <= PG_IPC_ROLE_WORKER; role++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PgIpcMessage) msg = pg_ipc_message_decode(data, size, role, &error);
		if (msg != NULL) {
			/* what decodes must encode again */
			g_autoptr(GBytes) frame = pg_ipc_message_encode(msg, NULL);
			g_assert_nonnull(frame);
		} else {
			g_assert_nonnull(error);
		}
	}
	return 0;
}
