"""``python -m recon.bench [NAME ...] [-- ARGS]``: run the benchmark modules of this package."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import recon.bench


def main(argv: list[str]) -> int:
    names, rest = (argv[: argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    available = sorted(m.name for m in pkgutil.iter_modules(recon.bench.__path__) if not m.name.startswith("_"))
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    for name in names or available:
        print(f"== bench {name}", flush=True)
        importlib.import_module(f"recon.bench.{name}").run(rest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
