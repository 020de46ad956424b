"""The clinical record: practices, clinicians, diagnostic units, patients and their data."""
