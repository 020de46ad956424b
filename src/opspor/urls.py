from django.contrib import admin
from django.urls import include, path

from opspor.api import api

urlpatterns = [
    path("", include("opspor.accounts.urls")),
    path("", include("opspor.records.urls_start")),
    # The patient's own pages sit under the record's URLs, as /patients/me/.
    path("patients/me/", include("opspor.portal.urls")),
    # The GP's side of the patient's preparation, under the patient like the record's pages.
    path("patients/<int:patient_id>/preparation/", include("opspor.portal.urls_gp")),
    path("patients/", include("opspor.records.urls")),
    path("", include("opspor.referrals.urls")),
    path("safety-nets/", include("opspor.safetynet.urls")),
    path("quality/", include("opspor.quality.urls")),
    path("", include("opspor.casework.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("opspor.interop.cds_hooks.urls")),
]
