from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from chiiki import access
from chiiki.core.forms import save_or_refuse

from . import actions, demo, queries
from .forms import LoginForm, TokenForm
from .models import ApiToken


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "demo_logins": demo.demo_logins(),
                "demo_password": demo.DEMO_PASSWORD}


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (the session stays signed in); the validators' messages are Japanese."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:mypage")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "パスワードを変更しました。")
        return response


@login_required
@never_cache
def mypage(request):
    user = queries.mypage_user(request.user)
    return render(request, "accounts/mypage.html", {
        "user": user,
        "capabilities": queries.capabilities(user),
        "todo_sections": queries.todo_sections(user),
        "can_see_history": queries.can_see_history(user),
        "can_issue_token": access.can(user, "api_token.create", user),
        "token_count": queries.tokens_of(user).filter(revoked=False).count(),
    })


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def tokens(request):
    """APIトークン: the user's tokens (GET) and issuing one (POST)."""
    if request.method == "POST":
        return _token_create(request)
    return _tokens_page(request)


def _tokens_page(request, *, status=200, token_form=None):
    return render(request, "accounts/tokens.html", {
        "tokens": queries.tokens_of(request.user),
        "token_form": token_form or TokenForm(),
        "can_issue_token": access.can(request.user, "api_token.create", request.user),
    }, status=status)


def _token_create(request):
    form = TokenForm(request.POST)
    issued, status = save_or_refuse(form, lambda: actions.issue_token(request.user, request.user,
                                                                      form.cleaned_data["name"], source="web"))
    if issued is None:  # the list again with the typed 用途 and the reason beside it
        return _tokens_page(request, status=status, token_form=form)
    token, key = issued
    # The key is shown on this response only; it is not stored anywhere but in its hash.
    return render(request, "accounts/token_created.html", {"token": token, "key": key})


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk)
    actions.revoke_token(request.user, token, source="web")
    messages.success(request, f"APIトークン {token.prefix}… を失効させました。")
    return redirect("accounts:tokens")
