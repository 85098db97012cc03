"""Declarative base: naming convention, shared column types, the UTC timestamp alias."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import DateTime, MetaData, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Alembic's recommended convention, so every constraint and index name is deterministic
# (errors.translate() relies on the unique-constraint names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONDict = dict[str, Any]

uuid_pk = Annotated[
    uuid.UUID,
    mapped_column(primary_key=True, default=uuid.uuid4, server_default=func.gen_random_uuid()),
]
# Timestamps that always exist: NOT NULL, filled by the server for raw SQL and bulk loads too.
created_ts = Annotated[datetime, mapped_column(server_default=func.now())]
# ``default`` too, so an ORM object knows its value without a refresh after flush.
json_object = Annotated[JSONDict, mapped_column(default=lambda: {}, server_default=text("'{}'::jsonb"))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        uuid.UUID: Uuid(native_uuid=True),
        JSONDict: JSONB,
        list[Any]: JSONB,
        Any: JSONB,
    }
