"""Celery tasks: thin wrappers that call services."""

from celery import shared_task

from domains import services


@shared_task
def prune_history() -> int:
    return services.history_prune()
