"""The portal's API token pages: list, create (the token is shown once), revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import tokens
from portal.forms import TokenForm


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # login_required; narrows request.user to User
    return render(request, "portal/token_list.html", {"tokens": tokens.tokens_of(request.user)})


@login_required
def token_add(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # login_required; narrows request.user to User
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = tokens.token_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Rendered, not stored: the token exists in clear only in this response.
            return render(request, "portal/token_created.html", {"token": token, "raw": raw})
    return render(request, "portal/token_add.html", {"form": form})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assert request.user.is_authenticated  # login_required; narrows request.user to User
    # Another user's token looks exactly like a missing one.
    token = get_object_or_404(tokens.tokens_of(request.user), pk=pk)
    tokens.token_revoke(token=token)
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("token-list")
