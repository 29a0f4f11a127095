"""What an agent opens, lazily and once: the index, the embedder, the LM, the searcher over them and the research
program (compiled by `sleuth optimize` when a compiled one is saved). Batch threads share one agent, so each is
opened under a lock; nothing opens at construction."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sleuth.errors import ConfigError
from sleuth.locations import compiled_program
from sleuth.settings import Settings

if TYPE_CHECKING:
    import dspy

    from sleuth.agent.loop.program import ResearchProgram
    from sleuth.tools.embedder import Embedder
    from sleuth.tools.index.base import VectorIndex
    from sleuth.tools.search import HybridSearcher


class Models:
    def __init__(
        self, settings: Settings, lm: dspy.LM | None, index: VectorIndex | None, embedder: Embedder | None
    ) -> None:
        self.settings = settings
        self._lm = lm
        self._index = index
        self._embedder = embedder
        self._opening = threading.RLock()  # batch threads share one index, embedder and LM: open each once

    @property
    def index(self) -> VectorIndex:
        with self._opening:
            if self._index is None:
                from sleuth.tools.index import open_index

                self._index = open_index(self.settings)
            return self._index

    @property
    def embedder(self) -> Embedder:
        with self._opening:
            if self._embedder is None:
                from sleuth.tools.embedder import Embedder

                models = self.settings.models
                self._embedder = Embedder(models.embedder, precision=models.embedder_precision, device=models.device)
            return self._embedder

    @property
    def lm(self) -> dspy.LM:
        with self._opening:
            if self._lm is None:
                from sleuth.agent.llm.lm import build_lm

                self._lm = build_lm(self.settings)
            return self._lm

    @cached_property
    def searcher(self) -> HybridSearcher:
        from sleuth.tools.rerank import build_reranker
        from sleuth.tools.search import HybridSearcher

        opts = self.settings.search
        searcher = HybridSearcher(
            self.index, self.embedder, fusion=opts.fusion, weights=(opts.dense_weight, opts.sparse_weight)
        )
        if opts.rerank.strip() != "none":
            searcher.reranker = build_reranker(opts, searcher, lambda: self.lm)
        return searcher

    @cached_property
    def program(self) -> ResearchProgram:
        from sleuth.agent.loop.program import ResearchProgram

        program = ResearchProgram(self.searcher, self.settings.agent, self.settings.models.max_tokens)
        compiled = self.compiled_path
        if compiled.is_file():
            try:
                program.load(str(compiled))
            except Exception as exc:
                raise ConfigError(
                    f"The compiled program at {compiled} cannot be loaded ({type(exc).__name__}: {exc}).",
                    "Run `sleuth optimize` again, or delete the file to use the uncompiled agent.",
                ) from exc
        return program

    def use_collection(self, name: str) -> None:
        """Search `name` from now on (the index, its searcher and compiled program are opened anew)."""
        with self._opening:
            if self._index is not None:
                self._index.close()
            self._index = None
            self.settings.index.collection = name
            self.__dict__.pop("searcher", None)
            self.__dict__.pop("program", None)

    @property
    def index_if_open(self) -> VectorIndex | None:
        """The index if it is open already (None: not opened yet)."""
        return self._index

    def reload_program(self) -> None:
        """Build the program again on next use (after `sleuth optimize` saved a compiled one)."""
        self.__dict__.pop("program", None)

    @property
    def compiled_path(self) -> Path:
        """Where `sleuth optimize` saves the compiled program for this collection (loaded when present)."""
        return compiled_program(self.settings)

    def warm_up(self) -> None:
        """Load the embedder and the embedded LLM side by side (both are mostly reading files)."""
        engine = getattr(self.lm, "engine", None)
        loaders = [lambda: self.embedder.model]
        if hasattr(engine, "load"):
            loaders.append(engine.load)
        workers = [threading.Thread(target=load, daemon=True) for load in loaders]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
