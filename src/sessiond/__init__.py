"""sessiond: one session store, three front doors."""
