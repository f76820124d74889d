"""Use cases only the pxyz door has: the sign-in attempt made in two steps."""
