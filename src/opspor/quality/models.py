"""The stored figures: one refresh at a time computes every cell, publishes it through the
privacy rule and keeps both; the pages read only what may be shown."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.records.models import Practice


class QualityRefresh(models.Model):
    """One computation of every figure (`opspor quality-refresh`, or the worker at night)."""

    class By(models.TextChoices):
        WORKER = "worker", _("The nightly run")
        COMMAND = "command", _("quality-refresh")
        SEED = "seed", _("Seeding the demo")

    as_of = models.DateField()
    # The nightly run's guard: of two workers sweeping at once, one creates the night's row.
    night = models.DateField(null=True, blank=True, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    by = models.CharField(max_length=8, choices=By.choices)
    # Where the figures came from: the record, and the region's Parquet files where given.
    region_data = models.CharField(max_length=500, blank=True)
    scan_file = models.CharField(max_length=500, blank=True)
    cells = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.as_of} ({self.by})"


class Source(models.TextChoices):
    RECORD = "record", _("The record")
    REGION = "region", _("The region's files")


class QualityFigure(models.Model):
    """One cell (`cells.Cell`) as computed, and as published (`privacy.py`)."""

    refresh = models.ForeignKey(QualityRefresh, on_delete=models.CASCADE, related_name="figures")
    source = models.CharField(max_length=6, choices=Source.choices)
    indicator = models.SlugField(max_length=40)
    # The practice's id in its source (the record's own id, or the region files' id); None is
    # the whole region. `practice` is set where the practice is in this database.
    practice_ref = models.IntegerField(null=True, blank=True)
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    split = models.SlugField(max_length=40)
    group = models.CharField(max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    # As computed: never shown as such.
    denominator = models.PositiveIntegerField()
    numerator = models.PositiveIntegerField(null=True, blank=True)
    p10 = models.FloatField(null=True, blank=True)
    q1 = models.FloatField(null=True, blank=True)
    median = models.FloatField(null=True, blank=True)
    q3 = models.FloatField(null=True, blank=True)
    p90 = models.FloatField(null=True, blank=True)
    # As published: the only values pages, plots and exports read.
    shown_denominator = models.CharField(max_length=12)
    shown_numerator = models.CharField(max_length=12, blank=True)
    shown_share = models.FloatField(null=True, blank=True)
    shown_quartiles = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["refresh", "source", "indicator", "split"]),
            models.Index(fields=["refresh", "practice"]),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.split}={self.group}"
