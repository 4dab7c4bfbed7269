from django.apps import AppConfig


class Dyndns2Config(AppConfig):
    name = "dyndns2"
