from django.urls import path

from alpsbio.api.api import api

urlpatterns = [path("v1/", api.urls)]
