"""recon: keep a Precoro company and a Xero organisation in step, from Jupyter."""

from recon import arrow_pool as _arrow_pool

__version__ = "0.1.0"

_arrow_pool.choose()
