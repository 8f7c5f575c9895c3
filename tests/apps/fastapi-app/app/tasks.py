"""Celery application and tasks; the worker runs `celery -A app.tasks worker`."""

from celery import Celery

from app.config import get_settings
from app.database import SessionLocal
from app.models import Note

settings = get_settings()

celery = Celery("app", broker=settings.redis_url, backend=settings.redis_url)
celery.conf.update(
    task_acks_late=True,  # a task whose worker stops mid-way is delivered again
    worker_prefetch_multiplier=1,
    result_expires=3600,
)


@celery.task(name="notes.create")
def create_note(body: str) -> int:
    """Write a note from the worker; returns its id for the API to read back."""
    with SessionLocal() as db:
        note = Note(body=body, source="worker")
        db.add(note)
        db.commit()
        return note.id
