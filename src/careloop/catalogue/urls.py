from django.urls import path

from careloop.catalogue import views, views_referrals

app_name = "catalogue"

urlpatterns = [
    # Resident portal.
    path("r/services/", views.my_services, name="my_services"),
    # Console.
    path("console/catalogue/", views.service_list, name="services"),
    path("console/catalogue/services/<str:code>/", views.service_detail, name="service"),
    path("console/catalogue/packages/", views.package_list, name="packages"),
    path("console/catalogue/packages/new/", views.package_new, name="package_new"),
    path("console/catalogue/packages/<str:code>/edit/", views.package_edit,
         name="package_edit"),
    path("console/catalogue/organisations/", views.organisation_list, name="organisations"),
    path("console/catalogue/organisations/new/", views.organisation_new,
         name="organisation_new"),
    path("console/catalogue/organisations/<str:code>/edit/", views.organisation_edit,
         name="organisation_edit"),
    path("console/catalogue/providers/", views.provider_list, name="providers"),
    path("console/catalogue/providers/new/", views.provider_new, name="provider_new"),
    path("console/catalogue/providers/<str:public_id>/", views.provider_edit,
         name="provider_edit"),
    path("console/catalogue/providers/<str:public_id>/week/", views.provider_week,
         name="provider_week"),
    path("console/catalogue/providers/<str:public_id>/schedules/", views.schedule_add,
         name="schedule_add"),
    path("console/catalogue/providers/<str:public_id>/slots/", views.slots_generate,
         name="slots_generate"),
    path("console/catalogue/providers/<str:public_id>/leave/", views.leave_add,
         name="leave_add"),
    path("console/catalogue/referrals/", views_referrals.agreement_list, name="agreements"),
    path("console/catalogue/referrals/new/", views_referrals.agreement_new,
         name="agreement_new"),
    path("console/catalogue/referrals/<str:public_id>/", views_referrals.agreement_edit,
         name="agreement_edit"),
    path("console/catalogue/referrals/<str:public_id>/end/", views_referrals.agreement_end,
         name="agreement_end"),
    path("console/catalogue/specialist-sessions/", views_referrals.session_list,
         name="sessions"),
    path("console/catalogue/specialist-sessions/new/", views_referrals.session_new,
         name="session_new"),
    path("console/catalogue/specialist-sessions/<str:public_id>/", views_referrals.session_edit,
         name="session_edit"),
    path("console/catalogue/specialist-sessions/<str:public_id>/cancel/",
         views_referrals.session_cancel, name="session_cancel"),
    path("console/catalogue/excel/", views.excel_page, name="excel"),
    path("console/catalogue/excel/<slug:kind>.xlsx", views.excel_export, name="excel_export"),
    path("console/catalogue/excel/<slug:kind>/import/", views.excel_import,
         name="excel_import"),
]  # fmt: skip
