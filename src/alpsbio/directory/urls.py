from django.urls import path

from alpsbio.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("organisations/new/", views.organisation_create, name="create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="edit"),
    path("organisations/<int:pk>/validate/", views.organisation_validate, name="validate"),
    path("regions/", views.region_index, name="regions"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("networks/", views.network_index, name="networks"),
    path("networks/<slug:slug>/", views.network_detail, name="network"),
    path("manage/", views.backoffice, name="backoffice"),
    path("manage/merge/", views.merge, name="merge"),
    path("manage/import/", views.import_upload, name="import_upload"),
    path("manage/import/<str:token>/", views.import_map, name="import_map"),
]
