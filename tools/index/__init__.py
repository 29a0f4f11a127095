"""Open the index the settings describe: a Qdrant server when a URL is set, else the embedded engine."""

from __future__ import annotations

from sleuth.locations import index_root
from sleuth.settings import Settings
from sleuth.tools.index.base import VectorIndex


def open_index(settings: Settings, collection: str | None = None) -> VectorIndex:
    name = collection or settings.index.collection
    if settings.index.url:
        from sleuth.tools.index.client import ClientIndex

        opts = settings.index
        key = opts.api_key.get_secret_value() if opts.api_key else None
        where = {"location": ":memory:"} if opts.url == ":memory:" else {"url": opts.url, "api_key": key}
        return ClientIndex(name, shards=opts.shards, replication=opts.replication, on_disk=opts.on_disk, **where)
    from sleuth.tools.index.edge import EdgeIndex

    return EdgeIndex(index_root(settings), name, hnsw_ef=settings.index.hnsw_ef)


def collection_names(settings: Settings) -> list[str]:
    """Collections that exist in the configured backend."""
    if settings.index.url:
        index = open_index(settings)
        names = sorted(c.name for c in index.client.get_collections().collections)  # type: ignore[attr-defined]
        index.close()
        return names
    root = index_root(settings, create=False)
    return sorted(p.name for p in root.iterdir() if (p / "edge_config.json").exists()) if root.is_dir() else []


__all__ = ["VectorIndex", "collection_names", "open_index"]
