from django.urls import URLPattern, URLResolver, path

from alpsbio.events import views

app_name = "events"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.calendar, name="calendar"),
    path("calendar.ics", views.calendar_ics, name="ical_calendar"),
    path("new/", views.create, name="create"),
    path("agenda/<str:token>.ics", views.agenda_ics, name="ical_agenda"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/event.ics", views.event_ics, name="ical_event"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/questions/", views.questions, name="questions"),
    path("<slug:slug>/questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("<slug:slug>/register/", views.register, name="register"),
    path("<slug:slug>/cancel/", views.cancel, name="cancel"),
    path("<slug:slug>/manage/", views.manage, name="manage"),
    path("<slug:slug>/check-in/", views.checkin_list, name="checkin_list"),
    path("<slug:slug>/check-in/<int:pk>/", views.checkin, name="checkin"),
    path("<slug:slug>/export/<str:what>.<str:fmt>", views.export, name="export"),
    path("<slug:slug>/badges.pdf", views.badges_pdf, name="badges"),
    path("<slug:slug>/b2b/", views.marketplace, name="b2b_marketplace"),
    path("<slug:slug>/b2b/profile/", views.profile_edit, name="b2b_profile"),
    path("<slug:slug>/b2b/request/<int:profile_id>/", views.request_send, name="b2b_request"),
    path("<slug:slug>/b2b/requests/", views.my_requests, name="b2b_requests"),
    path(
        "<slug:slug>/b2b/requests/<int:pk>/respond/",
        views.request_respond,
        name="b2b_request_respond",
    ),
    path(
        "<slug:slug>/b2b/requests/<int:pk>/withdraw/",
        views.request_withdraw,
        name="b2b_request_withdraw",
    ),
    path("<slug:slug>/b2b/agenda/", views.agenda, name="agenda"),
    path("<slug:slug>/b2b/agenda.pdf", views.agenda_pdf, name="agenda_pdf"),
    path("<slug:slug>/b2b/setup/", views.b2b_setup, name="b2b_setup"),
    path("<slug:slug>/b2b/setup/booth/<int:table_id>/", views.booth_assign, name="b2b_booth"),
    path("<slug:slug>/b2b/schedule/", views.schedule, name="b2b_schedule"),
    path("<slug:slug>/b2b/schedule/run/", views.schedule_run, name="b2b_schedule_run"),
    path("<slug:slug>/b2b/schedule/runs/<int:pk>/", views.run_status, name="b2b_run_status"),
    path("<slug:slug>/b2b/meetings/<int:pk>/move/", views.meeting_move, name="b2b_meeting_move"),
    path("<slug:slug>/b2b/meetings/<int:pk>/pin/", views.meeting_pin, name="b2b_meeting_pin"),
    path("<slug:slug>/b2b/meetings/<int:pk>/held/", views.meeting_held, name="b2b_meeting_held"),
    path("<slug:slug>/b2b/publish/", views.publish, name="b2b_publish"),
    path("<slug:slug>/b2b/statistics/", views.statistics, name="b2b_statistics"),
]
