"""What was loaded from the population scan, and the nights its run was asked for.

Only `services.scan_import` writes `ScanImport` rows and only the sweep's nightly step
writes `NightlyScan` rows; both are kept as the record of what the worklists were built
from. Neither holds patient data: counts, dates, practice ids and the file's digest.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScanImport(models.Model):
    """One result file of the population scan loaded as the practices' signals."""

    class By(models.TextChoices):
        COMMAND = "command", _("the import command")
        WORKER = "worker", _("the nightly run")

    as_of = models.DateField()
    # The file's SHA-256: the same file is loaded once.
    sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField()
    by = models.CharField(max_length=7, choices=By.choices)
    backend = models.CharField(max_length=20)
    # The practice ids whose signals the file replaced, in order.
    practices = models.JSONField(default=list)
    rows = models.PositiveIntegerField(default=0)
    patients_loaded = models.PositiveIntegerField(default=0)
    signals = models.PositiveIntegerField(default=0)
    unknown_patients = models.PositiveIntegerField(default=0)
    moved_patients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["sha256", "as_of"], name="scan_imported_once"),
        ]

    def __str__(self) -> str:
        return f"Scan as of {self.as_of} imported {self.imported_at:%Y-%m-%d %H:%M}"


class NightlyScan(models.Model):
    """A night on which the sweep asked for the region's scan: one row per local day, so
    two workers sweeping at once ask for it once."""

    night = models.DateField(unique=True)
    enqueued_at = models.DateTimeField()
    # Filled in by the run: the import it made (none while it runs, or if it failed).
    scan_import = models.ForeignKey(
        ScanImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-night"]

    def __str__(self) -> str:
        return f"Nightly scan of {self.night}"
