from django.contrib.auth import views as auth_views
from django.urls import path

from opspor.accounts import languages, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's i18n address, with Opspor's rule for a language it does not have.
    path("i18n/setlang/", languages.set_language, name="set_language"),
]
