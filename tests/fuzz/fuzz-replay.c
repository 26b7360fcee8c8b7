/* Runs a fuzz target over files given on the command line (a seed corpus),
 * so the ordinary gcc test build exercises every target on every run; the
 * real fuzzing build (clang -fsanitize=fuzzer) uses libFuzzer's main. */
#include "config.h"

#include <glib.h>

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
		const gchar *name;
		if (dir == NULL)
			return 1;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *path = g_build_filename(argv[i], name, NULL);
			g_autofree gchar *contents = NULL;
			gsize len = 0;
			if (!g_file_get_contents(path, &contents, &len, NULL))
				return 1;
			LLVMFuzzerTestOneInput((const guint8 *)contents, len);
			g_print("ok - %s\n", name);
		}
	}
	return 0;
}
