from django.urls import URLPattern, URLResolver, path

from alpsbio.survey import views

app_name = "survey"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.overview, name="overview"),
    path("maps/", views.maps_fragment, name="maps"),
    path("regions/<str:code>/", views.region, name="region"),
    path("report.pdf", views.report, name="report"),
    path("indicators/", views.indicators_page, name="indicators"),
    path("surveys/", views.survey_list, name="surveys"),
    path("surveys/load-cluster-questionnaire/", views.load_seed, name="load_seed"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey"),
    path("surveys/<int:pk>/export.<str:fmt>", views.survey_export, name="export"),
    path("surveys/<int:pk>/builder/", views.builder_fragment, name="builder"),
    path("surveys/<int:pk>/builder/reorder/", views.reorder, name="reorder"),
    path(
        "surveys/<int:pk>/builder/sections/<int:spk>/edit/",
        views.section_edit,
        name="section_edit",
    ),
    path(
        "surveys/<int:pk>/builder/sections/<int:spk>/delete/",
        views.section_delete,
        name="section_delete",
    ),
    path(
        "surveys/<int:pk>/builder/sections/<int:spk>/move/",
        views.section_move,
        name="section_move",
    ),
    path(
        "surveys/<int:pk>/builder/questions/<int:qpk>/edit/",
        views.question_edit,
        name="question_edit",
    ),
    path(
        "surveys/<int:pk>/builder/questions/<int:qpk>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path(
        "surveys/<int:pk>/builder/questions/<int:qpk>/move/",
        views.question_move,
        name="question_move",
    ),
    path("surveys/<int:pk>/<slug:action>/", views.survey_action, name="survey_action"),
    path("respond/<str:token>/", views.respond, name="respond"),
]
