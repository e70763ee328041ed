from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.day, name="day"),
    path("day/start/", views.day_start, name="day_start"),
    path("day/route/", views.day_route, name="day_route"),
    path("day-sheet.pdf", views.day_sheet, name="day_sheet"),
    path("entries/<int:pk>/move/", views.entry_move, name="entry_move"),
    path("entries/<int:pk>/check-in/", views.entry_check_in, name="entry_check_in"),
    path("log/", views.visit_list, name="visit_list"),
    path("log/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("log/<int:pk>/comment/", views.visit_comment, name="visit_comment"),
    path("log/<int:pk>/photos/<int:photo_pk>/", views.visit_photo, name="visit_photo"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/<str:action>/", views.plan_action, name="plan_action"),
    path("map/", views.sales_map, name="map"),
    path("map/geocode/", views.geocode, name="geocode"),
    path("map/geocode/<int:pk>/", views.geocode_progress, name="geocode_progress"),
    path("adherence/", views.adherence, name="adherence"),
    path("policy/", views.policy, name="policy"),
    path("customers/<int:customer_pk>/opening-hours/", views.opening_hours, name="opening_hours"),
]
