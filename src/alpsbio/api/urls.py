from django.urls import path
from django.views.generic import RedirectView

from alpsbio.api.api import api

urlpatterns = [
    path("v1/", api.urls),
    # The unversioned address of the API's documentation follows the current version.
    path("docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
]
