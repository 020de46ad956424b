"""Which row of the record each imported FHIR resource became.

The key of a resource is its identity in the sending system: the first identifier
(`system|value`) where it has one, else its type and logical id. Importing the same resource
again finds its row through this table and changes nothing; a changed resource (another
content hash) updates its row, and the row's history says so.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class ImportedResource(models.Model):
    resource_type = models.CharField(max_length=40)
    key = models.CharField(max_length=400, help_text="system|value of an identifier, or id:<id>")
    # The logical id the resource had where it came from; an export of the row gives it back,
    # so that exporting, importing elsewhere and exporting again gives the same resources.
    fhir_id = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=64)
    row_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    row_id = models.BigIntegerField(null=True, blank=True)
    row = GenericForeignKey("row_type", "row_id")
    # A resource Opspor cannot map onto a row is kept as received: nothing is dropped.
    unmapped = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=255, help_text="The file or request it came in")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource_type", "key"], name="imported_once")
        ]
        indexes = [
            models.Index(fields=["row_type", "row_id"], name="imported_row_idx"),
            # References name a resource by its logical id (`Patient/123`).
            models.Index(fields=["resource_type", "fhir_id"], name="imported_fhir_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} #{self.pk}"


class FhirImport(models.Model):
    """One import of FHIR files or of one request body: who, how, when and what it did.

    The report holds counts, file names, resource ids and field paths, never patient data.
    """

    class Channel(models.TextChoices):
        COMMAND = "command", "opspor import-fhir"
        API = "api", "POST /api/v1/fhir/import"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fhir_imports",
    )
    # The operating-system account that ran the command (the command has no Opspor user).
    by = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    files = models.PositiveIntegerField()
    files_rejected = models.PositiveIntegerField()
    resources = models.PositiveIntegerField()
    report = models.JSONField()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"FHIR import #{self.pk}"
