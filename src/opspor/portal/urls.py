from django.urls import path

from opspor.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.my_record, name="my_record"),
    path("contacts/", views.my_contacts, name="my_contacts"),
    path("pathway/", views.my_pathway, name="my_pathway"),
    path("information/", views.information, name="information"),
    path(
        "safety-nets/<int:episode_id>/tell-the-practice/",
        views.concern_raise,
        name="concern_raise",
    ),
]
