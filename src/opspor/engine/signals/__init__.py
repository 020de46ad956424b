"""Signals computed from the contact history and the record (DESIGN.md section 4)."""
