from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = admin.site.site_title = _("Privacy console")
admin.site.index_title = _("Personal data administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("consents.urls")),
    path("", include("disclosures.urls")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
