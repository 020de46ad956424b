from django.urls import path

from opspor.casework import views

app_name = "casework"
urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path(
        "notifications/mark-read/",
        views.notifications_mark_read,
        name="notifications_mark_read",
    ),
]
