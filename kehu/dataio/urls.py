from django.urls import path

from . import views

app_name = "dataio"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/check/", views.job_check, name="check"),
    path("<int:pk>/commit/", views.job_commit, name="commit"),
    path("<int:pk>/values/", views.job_values, name="values"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
]
