"""Guideline rule sets as YAML data, their schema and their evaluation."""
