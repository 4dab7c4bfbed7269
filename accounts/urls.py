from django.urls import path

from accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("delete/", views.account_delete, name="account-delete"),
]
