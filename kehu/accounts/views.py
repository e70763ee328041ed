from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from .forms import LoginForm
from .models import Notification
from .requests import AuthenticatedRequest
from .services import notification_mark_read


class KehuLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True



@login_required
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    """The person's inbox: held orders, approvals waiting, decisions. Opening it marks all read."""
    items = list(Notification.objects.filter(user=request.user)[:100])
    if request.method == "POST":
        notification_mark_read(user=request.user)
        return redirect("notifications")
    return render(request, "accounts/notifications.html", {"items": items, "nav": "notifications"})
