"""Advice requests, referrals, triage, messages and their deadlines."""
