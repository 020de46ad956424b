"""Opspor as a CDS Hooks 2.0 service (https://cds-hooks.hl7.org/2.0/): an EHR opening a
patient's chart (the `patient-view` hook) sends the record as prefetched FHIR resources and
gets the engine's findings back as cards. See docs/cds-hooks.md."""
