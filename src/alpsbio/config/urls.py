from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from alpsbio.portal import views as portal_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("alpsbio.api.urls")),
    path("favicon.ico", portal_views.favicon),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/", include("alpsbio.accounts.urls")),
    path("directory/", include("alpsbio.directory.urls")),
    path("opportunities/", include("alpsbio.matching.urls")),
    path("events/", include("alpsbio.events.urls")),
    path("analysis/", include("alpsbio.survey.urls")),
    path("funding/", include("alpsbio.funding.urls")),
    path("", include("alpsbio.portal.urls")),
    prefix_default_language=True,
)
if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
