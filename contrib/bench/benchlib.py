"""What the Python benchmarks here share at start-up (README.md): the
integration harness on sys.path (tests/integration/harness), and the
polygate binary to measure.

    import benchlib  # before `from harness import ...`
    parser.add_argument("--binary", default=benchlib.default_binary(BUILDS))
    args.binary = benchlib.binary_or_exit(args.binary)
"""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def default_binary(builds):
    """$POLYGATE_BIN, else src/polygate of the first of the build dirs
    @builds (below the repository) that has one, else None."""
    if os.environ.get("POLYGATE_BIN"):
        return os.environ["POLYGATE_BIN"]
    for build in builds:
        path = os.path.join(ROOT, build, "src", "polygate")
        if os.access(path, os.X_OK):
            return path
    return None


def is_sanitized(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def binary_or_exit(binary):
    """@binary as an absolute path; exits when there is none, warns on
    stderr when it is built with sanitizers (ASan multiplies time and
    memory)."""
    if not binary:
        sys.exit("no polygate binary: build one (contrib/scripts/demo.sh), pass --binary "
                 "or set POLYGATE_BIN")
    binary = os.path.abspath(binary)
    if is_sanitized(binary):
        print(f"warning: {binary} is built with sanitizers: its numbers are not the product's",
              file=sys.stderr)
    return binary
