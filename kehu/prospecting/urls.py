from django.urls import path

from . import views

app_name = "prospecting"
urlpatterns = [
    path("", views.prospect_home, name="home"),
    path("exhibitions/", views.exhibition_list, name="exhibitions"),
    path("exhibitions/<int:pk>/", views.exhibition_detail, name="exhibition"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/members/<int:member_pk>/file/", views.member_file, name="member_file"),
    path("campaigns/<int:pk>/members/<int:member_pk>/representative/", views.member_representative,
         name="member_representative"),
    path("news/new/", views.clipping_new, name="clipping_new"),
    path("former/", views.former_new, name="former"),
    path("new/<str:method>/", views.method_new, name="method_new"),
    path("<int:pk>/colour/", views.colour_edit, name="colour"),
    path("<int:pk>/decision/", views.decision_edit, name="decision"),
    path("<int:pk>/revive/", views.revive, name="revive"),
    path("pool/", views.pool, name="pool"),
    path("pool/<int:pk>/claim/", views.pool_claim, name="claim"),
    path("ask/<int:customer_pk>/", views.handover_ask, name="ask"),
    path("requests/", views.handovers, name="requests"),
    path("requests/<int:pk>/decide/", views.handover_decide, name="decide"),
    path("yield/", views.funnel, name="funnel"),
    path("yield/export.xlsx", views.funnel_export, name="funnel_export"),
    path("yield/export.csv", views.funnel_export, {"fmt": "csv"}, name="funnel_export_csv"),
]
