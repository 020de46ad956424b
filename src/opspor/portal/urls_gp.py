"""The GP's actions on a patient's preparation (`views_gp.py`), included at
/patients/<patient_id>/preparation/ with the namespace `gp_preparation`."""

from django.urls import path

from opspor.portal import views_gp

app_name = "gp_preparation"
urlpatterns = [
    path(
        "<int:preparation_id>/symptoms/<int:item_id>/confirm/",
        views_gp.symptom_confirm,
        name="symptom_confirm",
    ),
    path(
        "<int:preparation_id>/risk-factors/<int:item_id>/confirm/",
        views_gp.risk_factor_confirm,
        name="risk_factor_confirm",
    ),
    path(
        "<int:preparation_id>/trusted-links/",
        views_gp.trusted_links_send,
        name="trusted_links_send",
    ),
]
