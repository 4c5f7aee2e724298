from django.urls import URLPattern, URLResolver, path

from alpsbio.matching import views

app_name = "matching"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.opportunity_list, name="opportunities"),
    path("new/", views.opportunity_create, name="create"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("<int:pk>/interest/", views.express_interest, name="express_interest"),
    path("<int:pk>/<slug:action>/", views.opportunity_action, name="action"),
    path("review/", views.review_queue, name="review"),
    path("interest/", views.eoi_list, name="eois"),
    path("interest/<int:pk>/", views.eoi_detail, name="eoi_detail"),
    path("interest/<int:pk>/decide/", views.eoi_decide, name="eoi_decide"),
    path("follow-up/<str:token>/", views.follow_up_answer, name="follow_up_answer"),
    path("outcomes/", views.outcome_report, name="report"),
    path("search/", views.search, name="search"),
    path("suggested/<int:org_id>/", views.suggested_partners, name="suggested_partners"),
    path("preferences/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
