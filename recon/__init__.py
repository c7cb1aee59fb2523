"""recon: keep a Precoro company and a Xero organisation in step, from Jupyter."""

__version__ = "0.1.0"
