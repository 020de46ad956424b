"""The start pages of the unit doctor and the analyst, at the top level beside the GP's
/patients/, since neither shows a patient's record. Included at the root of the URLconf;
the names stay un-namespaced (`unit`, `region`) as every role's start page is named."""

from django.urls import path

from opspor.records import views

urlpatterns = [
    path("unit/", views.unit_page, name="unit"),
    path("region/", views.region_page, name="region"),
]
