from django.urls import path

from opspor.records import views

app_name = "records"
urlpatterns = [
    path("", views.practice_patients, name="practice_patients"),
    path("<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("<int:patient_id>/overview/", views.patient_overview, name="patient_overview"),
    path("<int:patient_id>/contacts/", views.patient_contacts, name="patient_contacts"),
]
