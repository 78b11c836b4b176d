"""Every table on one MetaData. The models live in several modules (storage/models.py, and
modules that keep a model beside its queries, like storage/web_sessions.py); importing this one
registers them all, for what must see the whole schema: migrations, the schema test, copy-db."""

from __future__ import annotations

from storage import web_sessions
from storage.models import Base

metadata = Base.metadata
# Named, so no linter takes the import that registers its tables for unused.
MODULES = (web_sessions,)
