"""FHIR R4 export: the record, referrals, advice requests and safety-net episodes as
resources (`record`, `cases`), their ids (`ids`), and bundles of them (`bundles`)."""
