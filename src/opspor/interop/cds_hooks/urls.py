from django.urls import path

from opspor.interop.cds_hooks import views

# CDS Hooks 2.0 fixes the discovery address as {baseUrl}/cds-services and a service's as
# {baseUrl}/cds-services/{id}, without a trailing slash.
app_name = "cds_hooks"
urlpatterns = [
    path("cds-services", views.discovery_view, name="discovery"),
    path("cds-services/<str:service_id>", views.service_view, name="service"),
]
