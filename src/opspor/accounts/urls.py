from django.contrib.auth import views as auth_views
from django.urls import path

from opspor.accounts import views
from opspor.records import views as records_views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The start pages of the unit doctor and the analyst sit at the top level, beside the
    # GP's /patients/, since neither shows a patient's record.
    path("unit/", records_views.unit_page, name="unit"),
    path("region/", records_views.region_page, name="region"),
]
