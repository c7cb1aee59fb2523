"""Arrow's memory pool for every recon process, chosen once when the package is imported.

pyarrow's default pool (mimalloc in the wheels) keeps the pages it frees: in the reconcile of a million lines a
side the purchase orders' temporaries stayed resident while the bills ran, ~140 MiB of the peak (issue 14,
docs/benchmarks.md). jemalloc hands freed pages back to the system after its decay time, and was no slower
there. Set here, at the package's import, it holds for the ``recon`` command, notebooks (their kernels import
recon) and the benchmarks alike; ``set_memory_pool`` rather than the environment variable, which pyarrow reads
only at its own import (pandas usually imports it first).
"""

from __future__ import annotations

import os
from typing import Any

#: an Arrow pool named by whoever starts the process is theirs to choose
ENVIRONMENT = "ARROW_DEFAULT_MEMORY_POOL"


def choose(pyarrow: Any = None, environ: Any = None) -> str:
    """Make jemalloc pyarrow's default pool unless the environment names one or pyarrow was built without it
    (then the default stays). Returns the backend in use."""
    if pyarrow is None:
        import pyarrow
    environ = os.environ if environ is None else environ
    if not environ.get(ENVIRONMENT):
        try:
            pyarrow.set_memory_pool(pyarrow.jemalloc_memory_pool())
        except NotImplementedError:
            pass  # a pyarrow without jemalloc: its default pool, as before
    return str(pyarrow.default_memory_pool().backend_name)
