"""The request a logged-in page receives, for the type checker: behind ``login_required`` its user
is a Kehu user, never the anonymous one."""

from django.http import HttpRequest

from .models import User


class AuthenticatedRequest(HttpRequest):
    user: User  # narrower than HttpRequest's, as login_required guarantees
