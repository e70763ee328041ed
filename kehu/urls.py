from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from kehu.analytics.views import home
from kehu.core.views import favicon, job_progress

admin.site.site_header = _("Kehu back office")
admin.site.site_title = _("Kehu")
admin.site.index_title = _("Back office")

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("kehu.api_urls")),
    path("", home, name="home"),
    path("jobs/<int:pk>/", job_progress, name="job_progress"),
    path("", include("kehu.accounts.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("orders/", include("kehu.ledger.urls")),
    path("credit/", include("kehu.credit.urls")),
    path("import/", include("kehu.dataio.urls")),
    path("touchpoints/", include("kehu.engagement.urls")),
    path("prospecting/", include("kehu.prospecting.urls")),
    path("key-accounts/", include("kehu.keyaccounts.urls")),
    path("visits/", include("kehu.visits.urls")),
    path("reports/", include("kehu.analytics.urls")),
]
