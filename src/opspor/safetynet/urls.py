from django.urls import path

from opspor.safetynet.views import actions, episodes, opening, signals, worklist

# Included at /safety-nets/. An action has one name: the URL's last segment, its name here,
# the view and the service.
app_name = "safetynet"
urlpatterns = [
    path("", episodes.episode_list, name="list"),
    path("worklist/", worklist.worklist, name="worklist"),
    path("new/<int:patient_id>/", opening.episode_open, name="episode_open"),
    path("<int:episode_id>/", episodes.episode_detail, name="detail"),
    path(
        "signals/<int:patient_id>/<slug:kind>/dismiss/",
        signals.signal_dismiss,
        name="signal_dismiss",
    ),
    path(
        "<int:episode_id>/order-investigation/",
        actions.investigation_order,
        name="investigation_order",
    ),
    path(
        "<int:episode_id>/await-follow-up/",
        actions.episode_await_follow_up,
        name="episode_await_follow_up",
    ),
    path("<int:episode_id>/reschedule/", actions.episode_reschedule, name="episode_reschedule"),
    path("<int:episode_id>/close/", actions.episode_close, name="episode_close"),
    path(
        "investigations/<int:investigation_id>/record-result/",
        actions.investigation_record_result,
        name="investigation_record_result",
    ),
    path(
        "investigations/<int:investigation_id>/mark-seen/",
        actions.investigation_mark_seen,
        name="investigation_mark_seen",
    ),
    path(
        "investigations/<int:investigation_id>/mark-told/",
        actions.investigation_mark_told,
        name="investigation_mark_told",
    ),
    path("concerns/<int:concern_id>/answer/", actions.concern_answer, name="concern_answer"),
    path(
        "investigations/<int:investigation_id>/cancel/",
        actions.investigation_cancel,
        name="investigation_cancel",
    ),
]
