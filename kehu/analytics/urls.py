from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("pareto/", views.pareto, name="pareto"),
    path("pareto/export.xlsx", views.pareto_export, name="pareto_export"),
    path("concentration/", views.concentration, name="concentration"),
    path("loss-impact/<int:pk>/", views.loss_impact, name="loss_impact"),
    path("grading/policy/", views.policy, name="policy"),
    path("grading/override/<int:pk>/", views.override_request, name="override_request"),
    path("grading/override/<int:pk>/decide/", views.override_decide, name="override_decide"),
]
