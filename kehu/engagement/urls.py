from django.urls import path

from . import views

app_name = "engagement"
urlpatterns = [
    path("", views.touch_home, name="home"),
    path("new/<int:customer_pk>/", views.touch_new, name="new"),
    path("<int:pk>/done/", views.touch_complete, name="complete"),
    path("<int:pk>/cancel/", views.touch_cancel, name="cancel"),
    path("reminders/plan/", views.reminder_plan, name="reminder_plan"),
    path("occasions/new/<int:contact_pk>/", views.occasion_new, name="occasion_new"),
]
