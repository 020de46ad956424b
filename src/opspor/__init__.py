"""Opspor: decision support and collaboration for the early detection of cancer in general practice."""
