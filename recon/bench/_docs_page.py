"""docs/benchmarks.md, where every benchmark writes its own section: a section is replaced by the next run of its
benchmark and the other sections are left as they are."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def write_section(text: str, heading: str, path: Path = DOCS) -> None:
    """Replace the section that starts with the line ``heading`` (``## Fetch``) by ``text``, or add it at the end."""
    old = path.read_text() if path.exists() else "# Benchmarks\n\n"
    lines = old.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        new = "".join(lines[:start]) + text + ("\n" + "".join(lines[end:]) if end < len(lines) else "")
    path.write_text(new)
