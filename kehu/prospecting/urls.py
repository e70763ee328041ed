app_name = "prospecting"
urlpatterns: list = []
