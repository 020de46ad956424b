"""The FHIR R4 import: files, folders or one request body into the record (`services`)."""

from opspor.interop.importing.report import FileResult, ImportReport, Rejection
from opspor.interop.importing.services import (
    PracticeNotFound,
    import_body,
    import_paths,
    practice_named,
)

__all__ = [
    "FileResult",
    "ImportReport",
    "PracticeNotFound",
    "Rejection",
    "import_body",
    "import_paths",
    "practice_named",
]
