"""Users, roles, API tokens and the access log of patient-record reads."""
