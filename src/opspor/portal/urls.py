from django.urls import path

from opspor.portal import views, views_prepare

app_name = "portal"
urlpatterns = [
    path("", views.my_record, name="my_record"),
    path("contacts/", views.my_contacts, name="my_contacts"),
    path("pathway/", views.my_pathway, name="my_pathway"),
    path("information/", views.information, name="information"),
    path("access-log/", views.my_access_log, name="access_log"),
    path("access-log.csv", views.my_access_log_csv, name="access_log_csv"),
    path(
        "safety-nets/<int:episode_id>/tell-the-practice/",
        views.concern_raise,
        name="concern_raise",
    ),
    path("prepare/", views_prepare.prepare, name="prepare"),
    path("prepare/symptoms/", views_prepare.prepare_symptoms, name="prepare_symptoms"),
    path(
        "prepare/symptoms/<int:symptom_id>/", views_prepare.prepare_symptom, name="prepare_symptom"
    ),
    path(
        "prepare/symptoms/<int:symptom_id>/diary/",
        views_prepare.prepare_diary,
        name="prepare_diary",
    ),
    path("prepare/worries/", views_prepare.prepare_worries, name="prepare_worries"),
    path("prepare/reading/", views_prepare.prepare_reading, name="prepare_reading"),
    path("prepare/questions/", views_prepare.prepare_questions, name="prepare_questions"),
    path("prepare/send/", views_prepare.prepare_send, name="prepare_send"),
]
