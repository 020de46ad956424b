"""Opspor: decision support for the early detection of cancer in general practice."""
