"""Notes API: writes and reads rows, and hands work to the Celery worker."""

import hashlib
import hmac
from typing import Annotated

from celery.result import AsyncResult
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.config import get_settings
from app.database import get_db
from app.health import router as health_router
from app.models import Note
from app.tasks import celery, create_note

DbSession = Annotated[Session, Depends(get_db)]

app = FastAPI(title="notes-api")
app.include_router(health_router)


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=2000)


def signature(note_id: int) -> str:
    """HMAC of the note id with SECRET_KEY: a client holding the key can verify it."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"note:{note_id}".encode(), hashlib.sha256).hexdigest()


def note_out(note: Note) -> dict:
    return {"id": note.id, "body": note.body, "source": note.source, "signature": signature(note.id)}


@app.post("/notes", status_code=201)
def write_note(payload: NoteIn, db: DbSession):
    note = Note(body=payload.body, source="api")
    db.add(note)
    db.commit()
    db.refresh(note)
    return note_out(note)


@app.get("/notes/{note_id}")
def read_note(note_id: int, db: DbSession):
    note = db.get(Note, note_id)
    if note is None:
        raise HTTPException(status_code=404, detail="note not found")
    return note_out(note)


@app.post("/tasks/notes", status_code=202)
def enqueue_note(payload: NoteIn):
    """Queue a note for the worker to write; poll /tasks/{id} for the note's id."""
    result = create_note.delay(payload.body)
    return {"task_id": result.id}


@app.get("/tasks/{task_id}")
def task_status(task_id: str):
    result = AsyncResult(task_id, app=celery)
    body = {"state": result.state}
    if result.successful():
        body["note_id"] = result.result
    return body
