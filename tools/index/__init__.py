"""Open the index the settings describe: a Qdrant server when a URL is set, else the embedded engine."""

from __future__ import annotations

from sleuth.agent.settings import Settings
from sleuth.tools.index.base import VectorIndex


def open_index(settings: Settings, collection: str | None = None) -> VectorIndex:
    name = collection or settings.index.collection
    if settings.index.url:
        from sleuth.tools.index.client import ClientIndex

        key = settings.index.api_key.get_secret_value() if settings.index.api_key else None
        if settings.index.url == ":memory:":
            return ClientIndex(name, location=":memory:")
        return ClientIndex(
            name,
            url=settings.index.url,
            api_key=key,
            shards=settings.index.shards,
            replication=settings.index.replication,
        )
    from sleuth.tools.index.edge import EdgeIndex

    return EdgeIndex(settings.home_dir / "index", name)


__all__ = ["VectorIndex", "open_index"]
