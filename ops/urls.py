"""Operators' endpoints: health, metrics."""

urlpatterns: list = []
