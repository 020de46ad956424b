from django.contrib.auth import views as auth_views
from django.urls import path

from opspor.accounts import account_views, languages, token_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PasswordLogin.as_view(), name="login"),
    path("login/code/", views.second_factor, name="second_factor"),
    path("login/authenticator/", views.second_factor_enrol, name="second_factor_enrol"),
    path(
        "login/passkey/options/", account_views.passkey_login_options, name="passkey_login_options"
    ),
    path("login/passkey/", account_views.passkey_login, name="passkey_login"),
    path("account/", account_views.account, name="account"),
    path("account/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path(
        "account/passkeys/options/",
        account_views.passkey_register_options,
        name="passkey_register_options",
    ),
    path("account/passkeys/", account_views.passkey_register, name="passkey_register"),
    path(
        "account/passkeys/<int:passkey_id>/remove/",
        account_views.passkey_remove,
        name="passkey_remove",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password-reset/", views.PasswordReset.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Django's i18n address, with Opspor's rule for a language it does not have.
    path("account/api-tokens/", token_views.api_tokens, name="api_tokens"),
    path(
        "account/api-tokens/<int:token_id>/revoke/",
        token_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("i18n/setlang/", languages.set_language, name="set_language"),
]
