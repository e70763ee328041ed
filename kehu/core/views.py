"""Site-wide responses with no domain: the icon browsers ask for at /favicon.ico."""

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = "kehu/favicon.ico"


@require_safe
@cache_control(max_age=7 * 24 * 3600, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page links to; answer with Kehu's own icon."""
    path = finders.find(FAVICON)
    if path:
        return FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 - FileResponse closes it
    if staticfiles_storage.exists(FAVICON):  # collected only (a deployment without the source tree)
        return FileResponse(staticfiles_storage.open(FAVICON), content_type="image/x-icon")
    raise Http404
