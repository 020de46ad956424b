from django.urls import path

from opspor.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("practice/", views.mirror, name="mirror"),
    path("export/<slug:indicator>.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path(
        "export/<slug:indicator>.parquet", views.export, {"fmt": "parquet"}, name="export_parquet"
    ),
]
