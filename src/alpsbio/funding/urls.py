from django.urls import URLPattern, URLResolver, path

from alpsbio.funding import views

app_name = "funding"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.projects, name="projects"),
    path("rates/", views.rates, name="rates"),
    path("<int:pk>/", views.dashboard, name="dashboard"),
    path("<int:pk>/setup/", views.setup, name="setup"),
    path("<int:pk>/setup/organisations/", views.organisation_search, name="org_search"),
    path("<int:pk>/partners/<int:partner_pk>/", views.partner_detail, name="partner"),
    path("<int:pk>/budget-versions/", views.budget_versions, name="versions"),
    path("<int:pk>/periods/<int:number>/", views.period_detail, name="period"),
    path("<int:pk>/claims/", views.claims, name="claims"),
    path("<int:pk>/export.csv", views.export_csv, name="export_csv"),
    path("<int:pk>/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<int:pk>/report.pdf", views.export_pdf, name="export_pdf"),
    path("<int:pk>/indicators.csv", views.export_indicators_csv, name="export_indicators_csv"),
    path("<int:pk>/audit/", views.audit_log, name="audit"),
    path("reports/<int:report_pk>/", views.report_detail, name="report"),
    path("reports/<int:report_pk>/certificate.pdf", views.certificate, name="certificate"),
    path("items/<int:item_pk>/attachment", views.attachment, name="attachment"),
]
