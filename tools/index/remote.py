"""One process holds the embedded index; Ray actors elsewhere reach it through a proxy.

The embedded engine (qdrant-edge) is opened by one process at a time. When a batch fans out over Ray, an
`IndexHolder` actor opens the collection once and every worker's agent gets a `RemoteIndex`: the same
`VectorIndex` methods, each call run on the holder (Ray runs an actor's calls one at a time, so the shard sees
one caller). Searches are milliseconds; the round trip adds about one more. With a Qdrant server (`index.url`)
none of this is used: each worker opens its own client to the server.
"""

from __future__ import annotations

from typing import Any

from sleuth.settings import Settings


class IndexHolder:
    """A Ray actor that owns the collection the settings name."""

    def __init__(self, settings: Settings) -> None:
        from sleuth.tools.index import open_index

        self.index = open_index(settings)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.index, method)(*args, **kwargs)

    def close(self) -> None:
        self.index.close()


class RemoteIndex:
    """A `VectorIndex` whose every method runs on an `IndexHolder` actor; closing it leaves the holder open."""

    def __init__(self, holder: Any, collection: str) -> None:
        self.holder = holder
        self.collection = collection

    def close(self) -> None:
        pass

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            import ray

            return ray.get(self.holder.call.remote(method, *args, **kwargs))

        return call


__all__ = ["IndexHolder", "RemoteIndex"]
