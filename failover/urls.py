from django.urls import path

from failover import views

urlpatterns = [
    path("ha/", views.group_list, name="group-list"),
    path("ha/add/", views.group_add, name="group-add"),
    path("ha/<int:pk>/", views.group_detail, name="group-detail"),
    path("ha/<int:pk>/edit/", views.group_edit, name="group-edit"),
    path("ha/<int:pk>/delete/", views.group_delete, name="group-delete"),
    path("ha/<int:pk>/members/", views.member_add, name="member-add"),
    path("ha/<int:pk>/members/<int:member_pk>/state/", views.member_switch, name="member-switch"),
    path("ha/<int:pk>/members/<int:member_pk>/delete/", views.member_delete, name="member-delete"),
]
