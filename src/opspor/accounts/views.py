from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opspor.accounts import lockout, passkeys, services, sessions, two_factor
from opspor.accounts.addresses import client_address
from opspor.accounts.forms import CodeStep, PasswordStep
from opspor.accounts.models import LoginAttempt, Role, User

START_PAGES = {
    Role.GP: "safetynet:worklist",
    Role.PATIENT: "portal:my_record",
    Role.UNIT_DOCTOR: "referrals:unit_inbox",
    Role.ANALYST: "quality:dashboard",
    Role.ADMIN: "admin:index",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own start page."""
    user = request.user
    start = START_PAGES.get(Role(user.role)) if isinstance(user, User) else None
    if start is None:
        raise PermissionDenied
    return redirect(start)


class PasswordLogin(auth_views.LoginView):
    """The login page: the lockout, the trail, then the second factor for staff (which the
    guard middleware asks for on whatever page comes next)."""

    form_class = PasswordStep
    redirect_authenticated_user = True

    def form_valid(self, form: PasswordStep) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        assert isinstance(user, User)
        services.password_accepted(self.request, user)
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["session_ended"] = self.request.session.pop(sessions.ENDED, None)
        form = context.get("form")
        context["locked"] = form is not None and form.has_error(NON_FIELD_ERRORS, "locked")
        return context


def admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The administration's own login form would skip the lockout and the second factor:
    it sends to Opspor's instead, which returns to the administration afterwards."""
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    return redirect_to_login(target, reverse("login"))


def _next_page(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next") or "")


def safe_next(request: HttpRequest, target: str) -> str:
    """Where to go after the login: `target` if it is on this site, else the start page."""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def staff_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not two_factor.needs_second_factor(user):
        raise PermissionDenied
    return user


def _locked_out(request: HttpRequest, user: User) -> HttpResponse | None:
    """Ends the session of an account that the code step has locked."""
    if lockout.lock_for(user.get_username(), client_address(request)) is None:
        return None
    sessions.session_end(request, "locked")
    return redirect("login")


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """The code step of a staff login: a code from the authenticator app or a recovery code."""
    user = staff_user(request)
    if two_factor.is_verified(user):
        return HttpResponseRedirect(_next_page(request))
    device = two_factor.authenticator(user)
    if device is None:
        return redirect("second_factor_enrol")
    if (refused := _locked_out(request, user)) is not None:
        return refused
    form = CodeStep(request.POST or None)
    throttled = False
    if request.method == "POST" and form.is_valid():
        try:
            accepted = services.second_factor_verify(request, user, form.cleaned_data["code"])
        except services.CodeThrottled as wait:
            throttled = True
            seconds = max(1, int((wait.until - timezone.now()).total_seconds()) + 1)
            form.add_error(
                "code",
                ngettext(
                    "Wait %(seconds)d second before you try another code.",
                    "Wait %(seconds)d seconds before you try another code.",
                    seconds,
                )
                % {"seconds": seconds},
            )
        else:
            if accepted is not None:
                return HttpResponseRedirect(_next_page(request))
            if (refused := _locked_out(request, user)) is not None:
                return refused
            form.add_error(
                "code",
                _("That code was not right. Type the code your app shows now, or a recovery code."),
            )
    demo_code = None
    if not settings.PRODUCTION and device.name == two_factor.DEMO_DEVICE_NAME:
        demo_code = two_factor.code_now(device.key)
    return render(
        request,
        "accounts/second_factor.html",
        {
            "form": form,
            "next": _next_page(request),
            "demo_code": demo_code,
            "throttled": throttled,
            "has_passkeys": bool(passkeys.passkeys_of(user)),
        },
    )


ENROL_KEY = "opspor_enrol_key"


@login_required
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """First login of a staff user: set up the authenticator app. The key lives in the
    session until a code from the app proves it was scanned; only then is it saved."""
    user = staff_user(request)
    if two_factor.authenticator(user) is not None:
        # Replacing an app needs the administrator: a password alone must never do it.
        return redirect("second_factor")
    key = request.session.get(ENROL_KEY)
    if not isinstance(key, str):
        key = services.new_authenticator_key()
        request.session[ENROL_KEY] = key
    form = CodeStep(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolment = services.authenticator_enrol(user, key, form.cleaned_data["code"])
        if enrolment is not None:
            del request.session[ENROL_KEY]
            services.second_factor_enrolled(request, user, enrolment.device)
            return render(
                request,
                "accounts/recovery_codes.html",
                {
                    "codes": enrolment.recovery_codes,
                    "next": _next_page(request),
                    "enrolled": True,
                },
            )
        services.user_attempt_record(
            request,
            user,
            step=LoginAttempt.Step.SECOND_FACTOR,
            outcome=LoginAttempt.Outcome.FAILED,
            reason="wrong code at enrolment",
        )
        form.add_error(
            "code",
            _(
                "That code was not right. Scan the QR code again and type the code your app "
                "shows now."
            ),
        )
    url = two_factor.setup_url(user.get_username(), key)
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "next": _next_page(request),
            "qr_svg": two_factor.qr_svg(url, _("QR code for your authenticator app")),
            "secret": two_factor.secret_text(key),
        },
    )


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once; the old ones stop working."""
    user = staff_user(request)
    if request.method == "POST":
        codes = services.recovery_codes_renew(user)
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": codes, "next": resolve_url(settings.LOGIN_REDIRECT_URL), "enrolled": False},
        )
    return render(
        request,
        "accounts/recovery_codes_start.html",
        {"left": two_factor.recovery_codes_left(user)},
    )


class PasswordReset(auth_views.PasswordResetView):
    """Django's reset, throttled (`lockout.reset_refused_because`) and written to the login
    trail. A refused request gets the same answer as any other, and no e-mail: the page never
    says whether an address has an account, nor that it was throttled."""

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        refused = lockout.reset_refused_because(email, client_address(self.request))
        services.login_attempt_record(
            self.request,
            username=email,
            user=None,
            step=LoginAttempt.Step.PASSWORD_RESET,
            outcome=LoginAttempt.Outcome.REFUSED if refused else LoginAttempt.Outcome.CONTINUED,
            reason=refused or "reset link asked",
        )
        if refused:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
