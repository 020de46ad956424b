"""The unit doctor's start page, at the top level beside the GP's /patients/, since it shows
no patient's record. Included at the root of the URLconf; the name stays un-namespaced
(`unit`). The analyst's start page is the quality dashboard (`quality:dashboard`)."""

from django.urls import path

from opspor.records import views

urlpatterns = [
    path("unit/", views.unit_page, name="unit"),
]
