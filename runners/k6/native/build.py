"""Compiles the C reader of k6's JSON stream next to its source (`python -m runners.k6.native.build`).

scripts/setup runs this; without a C compiler loadwatch reads the stream in Python (slower) and says so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "lwscan.c"
LIBRARY = HERE / "_lwscan.so"


def build(compiler: str | None = None) -> Path:
    """Compile lwscan.c into _lwscan.so (written to a temporary name first, then moved into place).

    Raises:
        RuntimeError: no C compiler, or the compile failed (its message included).
    """
    cc = compiler or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler (cc or gcc) found: scripts/setup installs gcc")
    tmp = LIBRARY.with_suffix(".so.tmp")
    cmd = [cc, "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o", str(tmp), str(SOURCE), "-lm"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"compiling {SOURCE.name} failed:\n{done.stderr.strip()}")
    tmp.replace(LIBRARY)
    return LIBRARY


def main() -> int:
    """Build and say where the library went."""
    try:
        path = build()
    except RuntimeError as e:
        print(f"loadwatch: {e}", file=sys.stderr)
        return 1
    print(f"built {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
