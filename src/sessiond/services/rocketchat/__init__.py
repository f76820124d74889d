"""Use cases only the Rocket.Chat door has: the REST second factor (TOTP, mailed codes, the
password digest). TOTP enrolment and the per-user budget of second-factor tries are shared
(`services.totp_enrolment`, `services.factor_tries`)."""
