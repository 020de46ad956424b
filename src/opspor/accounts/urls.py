from django.contrib.auth import views as auth_views
from django.urls import path

from opspor.accounts import languages, token_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's i18n address, with Opspor's rule for a language it does not have.
    path("account/api-tokens/", token_views.api_tokens, name="api_tokens"),
    path(
        "account/api-tokens/<int:token_id>/revoke/",
        token_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("i18n/setlang/", languages.set_language, name="set_language"),
]
