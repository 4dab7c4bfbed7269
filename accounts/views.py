from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import services
from domains.services import DnsFailure


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html")


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # login_required; narrows request.user to User
    if request.method != "POST":
        return render(request, "accounts/delete.html")
    try:
        services.user_delete(user=request.user)
    except DnsFailure as error:
        messages.error(
            request,
            _(
                "A zone of yours could not be removed from DNS (%(error)s); your "
                "account was kept. Try again later."
            )
            % {"error": error},
        )
        return redirect("profile")
    logout(request)
    messages.success(request, _("Your account and its hosts were deleted."))
    return redirect("home")
