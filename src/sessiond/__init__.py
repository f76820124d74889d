"""sessiond: one session store, three front doors."""

__version__ = "0.1.0"
