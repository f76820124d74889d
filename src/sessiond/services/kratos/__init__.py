"""Use cases only the Kratos door has: its login and registration flows and the AAL2 step-up."""
