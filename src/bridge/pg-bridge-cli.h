/* `polygate bridge import|export|status` (pg-bridge-cli.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs the bridge tools; @argv[0] is "bridge", the rest what followed it.
 * Returns: the process's exit status. */
int pg_bridge_cli_main(int argc, char **argv);

G_END_DECLS
