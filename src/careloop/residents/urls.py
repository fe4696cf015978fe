from django.urls import path

from careloop.residents import views, views_contact, views_events, views_profile

app_name = "residents"

urlpatterns = [
    # Resident portal.
    path("r/", views.portal, name="portal"),
    path("r/family/<str:public_id>/", views.portal_family_member, name="family_member"),
    path("r/contact/", views_contact.contact_preferences, name="contact_preferences"),
    path(
        "r/family/<str:public_id>/contact/",
        views_contact.family_contact_preferences,
        name="family_contact_preferences",
    ),
    # Workbench.
    path("w/", views.workbench, name="workbench"),
    path("w/residents/", views.resident_list, name="list"),
    path("w/residents/new/", views.resident_new, name="new"),
    path("w/residents/import/", views_profile.resident_import, name="import"),
    path("w/residents/<str:public_id>/", views.resident_detail, name="detail"),
    path("w/residents/<str:public_id>/edit/", views.resident_edit, name="edit"),
    path(
        "w/residents/<str:public_id>/life-events/",
        views_events.life_event_new,
        name="life_event",
    ),
    path(
        "w/residents/<str:public_id>/contact/",
        views_contact.resident_contact_edit,
        name="edit_contact",
    ),
    path(
        "w/residents/<str:public_id>/home/",
        views.resident_home_location,
        name="edit_home_location",
    ),
    # Questionnaires: the resident, a guardian for a dependant, staff on a resident's behalf.
    path("r/questionnaires/<slug:code>/", views_profile.questionnaire, name="questionnaire"),
    path(
        "r/questionnaires/<slug:code>/done/",
        views_profile.questionnaire_done,
        name="questionnaire_done",
    ),
    path(
        "r/family/<str:public_id>/questionnaires/<slug:code>/",
        views_profile.family_questionnaire,
        name="family_questionnaire",
    ),
    path(
        "r/family/<str:public_id>/questionnaires/<slug:code>/done/",
        views_profile.family_questionnaire_done,
        name="family_questionnaire_done",
    ),
    path(
        "w/residents/<str:public_id>/questionnaires/<slug:code>/",
        views_profile.staff_questionnaire,
        name="staff_questionnaire",
    ),
    path(
        "w/residents/<str:public_id>/questionnaires/<slug:code>/done/",
        views_profile.staff_questionnaire_done,
        name="staff_questionnaire_done",
    ),
    # Management console.
    path("console/", views.console, name="console"),
]
