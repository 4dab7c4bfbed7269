from django.urls import path

from dyndns2 import views

urlpatterns = [
    path("nic/update", views.nic_update, name="nic-update"),
    path("nic/delete", views.nic_delete, name="nic-delete"),
    path("myip", views.myip, name="myip"),
]
