"""Database tables (SQLAlchemy) and API shapes (pydantic)."""

from app.models.item import Base, Item
from app.models.schemas import ItemCreate, ItemPublic, ItemWithVisits

__all__ = ["Base", "Item", "ItemCreate", "ItemPublic", "ItemWithVisits"]
