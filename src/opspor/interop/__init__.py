"""FHIR R4 import and export, and the CDS Hooks service: how Opspor meets the EHR systems."""
