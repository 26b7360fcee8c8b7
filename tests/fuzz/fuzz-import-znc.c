/* Fuzz target: the znc log importer (src/bridge/pg-bridge-import.c); see
 * fuzz-bridge-import.h for what it checks. */
#include "config.h"

#include "fuzz-bridge-import.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	fuzz_bridge_import(PG_BRIDGE_LOG_ZNC, data, size);
	return 0;
}
