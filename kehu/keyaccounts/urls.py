from django.urls import path

from . import views

app_name = "keyaccounts"
urlpatterns = [
    path("", views.key_account_list, name="list"),
    path("<int:pk>/", views.key_account_detail, name="detail"),
    path("policy/", views.policy_change, name="policy"),
    path("mark/<int:pk>/", views.candidate_mark, name="mark"),
    path("candidates/<int:pk>/decide/", views.candidate_decide, name="decide"),
]
