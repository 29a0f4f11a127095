"""Open the index the settings describe: a Qdrant server when a URL is set, else the embedded engine."""

from __future__ import annotations

from sleuth.settings import Settings
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

    return EdgeIndex(settings.home_dir / "index", name, hnsw_ef=settings.index.hnsw_ef)


def collection_names(settings: Settings) -> list[str]:
    """Collections that exist in the configured backend."""
    if settings.index.url:
        index = open_index(settings)
        names = sorted(c.name for c in index.client.get_collections().collections)  # type: ignore[attr-defined]
        index.close()
        return names
    root = settings.home / "index"
    return sorted(p.name for p in root.iterdir() if (p / "edge_config.json").exists()) if root.is_dir() else []


__all__ = ["VectorIndex", "collection_names", "open_index"]
