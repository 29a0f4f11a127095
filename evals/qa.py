"""`sleuth eval qa`: a QA set answered under one or more configurations, each answer scored, resumable.

A QA set is docs/DESIGN.md's layout: one JSON object per line with `id`, `question`, `answers` (gold short answers,
may be empty) and `supporting` (ids of the corpus documents that hold the answer). Each configuration's answers go
to `<out>/runs/<config>.jsonl`, one line per question with its scores; a re-run skips the questions already there,
so an interrupted eval resumes. The scoring of one answer (`score`) is shared with the agent benchmark.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import ConfigError, InputError
from sleuth.evals.metrics import attribution_audit, facet_recall, restates_first, support_found
from sleuth.lexicon import says_not_found
from sleuth.schema import Answer, Citation
from sleuth.settings import Settings
from sleuth.tools.answers import answer_contains, answer_f1, normalise_answer

RECALL_AT = (1, 2, 3, 5, 10, 20)  # the recall@k curve's points


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answers: list[str]
    supporting: list[str]
    line: int
    facts: list[list[str]] = field(default_factory=list)  # key facts a good answer states, each with alternatives
    shape: str = ""  # single (one paper), multi (several parts or works), broad: how the set's author saw it


@dataclass
class Config:
    """One configuration under test: a name, its settings, and what made them (files and --set overrides)."""

    name: str
    settings: Settings
    made_of: list[str] = field(default_factory=list)


def load_questions(path: Path) -> list[QAItem]:
    """The QA set, every line checked: a clear error names the file, the line and what was expected."""
    if not path.is_file():
        raise InputError(f"{path} does not exist.", "Give a JSONL file of {id, question, answers, supporting} lines.")
    items, seen = [], set()
    for n, raw in enumerate(path.read_bytes().splitlines(), 1):
        where = f"{path}:{n}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{where}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}).",
                "Save the file as UTF-8 JSONL.",
            ) from exc
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg}).", _LAYOUT) from exc
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}.", _LAYOUT)
        qid, question = row.get("id", row.get("_id")), row.get("question")
        if qid is None or str(qid).strip() == "":
            raise InputError(f"{where}: no 'id'.", _LAYOUT)
        if not isinstance(question, str) or not question.strip():
            raise InputError(f"{where}: 'question' must be a non-empty string.", _LAYOUT)
        answers, supporting = row.get("answers", []), row.get("supporting", [])
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise InputError(f"{where}: 'answers' must be a list of strings, got {answers!r:.60}.", _LAYOUT)
        if not isinstance(supporting, list) or not all(isinstance(s, str | int) for s in supporting):
            raise InputError(f"{where}: 'supporting' must be a list of document ids, got {supporting!r:.60}.", _LAYOUT)
        facts = _facts(row.get("facts", []), where)
        if str(qid) in seen:
            raise InputError(f"{where}: id '{qid}' appears twice.", "Give every question its own id.")
        seen.add(str(qid))
        supporting = [str(s) for s in supporting]
        items.append(QAItem(str(qid), question, answers, supporting, n, facts, str(row.get("shape") or "")))
    if not items:
        raise InputError(f"{path} holds no questions.", _LAYOUT)
    return items


_LAYOUT = (
    'Each line: {"id": "q1", "question": "...", "answers": ["..."], "supporting": ["doc-id", ...]}; optionally '
    '"facts": ["50%", ["single token", "first token"], ...] (key facts, each a string or its alternatives).'
)


def _facts(value: Any, where: str) -> list[list[str]]:
    """Key facts as lists of alternatives; a fact given as one string is its only alternative."""
    facts = value if isinstance(value, list) else None
    out = []
    for fact in facts or []:
        alternatives = [fact] if isinstance(fact, str) else fact
        if not isinstance(alternatives, list) or not alternatives or not all(isinstance(a, str) for a in alternatives):
            facts = None
            break
        out.append(alternatives)
    if facts is None:
        raise InputError(
            f"{where}: 'facts' must be a list of strings or of lists of strings, got {value!r:.60}.", _LAYOUT
        )
    return out


def check_corpus(items: list[QAItem], corpus: Path) -> None:
    """Every supporting id the questions cite must be a document of the corpus (a JSONL of `_id` or `id` lines)."""
    from sleuth.evals.beir import corpus_ids

    ids = corpus_ids(corpus)
    for item in items:
        missing = [s for s in item.supporting if s not in ids]
        if missing:
            raise InputError(
                f"line {item.line} (question {item.id}) cites {', '.join(missing[:3])}, not in {corpus}.",
                "Use the corpus the questions were written on, or fix the ids in 'supporting'.",
            )


def make_configs(base: Settings, files: list[Path], sets: list[str]) -> list[Config]:
    """The configurations to compare: the base settings first (named `default`, or the first file's name), then
    one per `--config` file, then one per `--set key=value` (each applied to the base). A key that does not exist
    is an error naming it."""
    configs = [Config("default", base, [])] if not files else []
    for path in files:
        configs.append(Config(path.stem, _with(base, _toml(path), str(path)), [str(path)]))
    for assignment in sets:
        configs.append(Config(assignment.replace("/", "_"), with_assignment(base, assignment), [assignment]))
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise ConfigError(f"Two configurations share a name: {names}.", "Give the --config files different names.")
    return configs


def with_assignment(base: Settings, assignment: str) -> Settings:
    """`base` with one `key=value` applied (`agent.loop=full`); an unknown key is an error naming it."""
    key, value = _assignment(assignment)
    return _with(base, _nested(key, value), assignment)


def _toml(path: Path) -> dict[str, Any]:
    import tomllib

    if not path.is_file():
        raise ConfigError(f"{path} does not exist.", "Give a TOML file of settings (see `sleuth config`).")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.", "Fix the file.") from exc


def _assignment(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ConfigError(f"--set {text}: expected KEY=VALUE (e.g. agent.loop=full).", "Write it as KEY=VALUE.")
    key, raw = text.split("=", 1)
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _nested(key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _with(base: Settings, changes: dict[str, Any], origin: str) -> Settings:
    """`base` with `changes` applied; unknown keys and invalid values are errors that name `origin`."""
    from pydantic import ValidationError

    data = base.model_dump()
    _check_keys(changes, data, origin)
    merged = _merge(data, changes)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{origin}: invalid settings: {problems}.", "See `sleuth config` for every key.") from exc


def _check_keys(changes: dict[str, Any], known: dict[str, Any], origin: str, prefix: str = "") -> None:
    for key, value in changes.items():
        if key not in known:
            options = ", ".join(sorted(known))
            raise ConfigError(f"{origin}: no setting '{prefix}{key}'.", f"Known keys here: {options}.")
        if isinstance(value, dict) and isinstance(known[key], dict):
            _check_keys(value, known[key], origin, f"{prefix}{key}.")


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def score(item: QAItem, answer: Answer) -> dict[str, Any]:
    """One answer's scores (None where the set gives no gold to score against)."""
    gold = list(dict.fromkeys(item.supporting))
    cited = [c.doc_id for c in answer.citations]
    u = answer.usage
    return {
        "id": item.id,
        "em": _em(answer.short_answer, item.answers),
        "f1": answer_f1(answer.short_answer, item.answers) if item.answers else None,
        "contains": answer_contains(answer.answer, item.answers) if item.answers else None,
        "support": list(support_found(answer.retrieved, gold)) if gold else None,
        "ndcg10": _ndcg10(answer.retrieved, gold) if gold else None,
        "recall_at": {k: support_found(answer.retrieved, gold, k)[0] for k in RECALL_AT} if gold else None,
        "precision": (sum(d in gold for d in cited) / len(cited)) if cited and gold else None,
        "facets": facet_recall(f"{answer.answer} {answer.short_answer}", item.facts) if item.facts else None,
        "restates_first": restates_first(answer.answer, item.question),
        "says_missing": says_not_found(answer.answer),
        "papers": len(set(cited)),
        "dangling": dangling(answer.answer, answer.citations),
        "seconds": round(answer.seconds, 2),
        "calls": u.llm_calls,
        "prompt_tokens": u.input_tokens,
        "reused_tokens": u.cached_tokens,
        "output_tokens": u.output_tokens,
        "failed": bool(answer.error) and not answer.answer.strip(),
        "empty": not answer.answer.strip() and answer.path != "evidence-only",
        "error": answer.error,
        "path": answer.path,
        "short": answer.short_answer,
        "answer": answer.answer,
        "cited": cited,
        **attribution_audit(answer.answer, answer.citations),
    }


def _ndcg10(retrieved: list[str], gold: list[str]) -> float:
    from sleuth.evals.metrics import per_query

    return per_query({"q": retrieved}, {"q": dict.fromkeys(gold, 1)}, ("nDCG@10",))["q"]["nDCG@10"]


def _em(short: str, answers: list[str]) -> float | None:
    return float(normalise_answer(short) in {normalise_answer(a) for a in answers}) if answers else None


def dangling(text: str, citations: list[Citation], evidence: set[str] | None = None) -> int:
    """Markers in the text with no citation behind them; with `evidence` (the chunk ids the LM was shown), also
    citations of a passage outside it."""
    import re

    unbacked = len({int(n) for n in re.findall(r"\[(\d+)\]", text)} - {c.n for c in citations})
    return unbacked + (sum(c.chunk_id not in evidence for c in citations) if evidence is not None else 0)


def done_ids(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    return {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def load_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_config(
    config: Config,
    items: list[QAItem],
    corpus: Path,
    out: Path,
    no_answer: bool = False,
    progress: Callable[[int], None] | None = None,
    *,
    ray: str | None = None,
    workers: int = 2,
    say: Callable[[str], None] | None = None,
) -> Path:
    """Answers the questions not yet in `<out>/runs/<config>.jsonl` under `config`, appending one scored line each
    as it is ready; with `ray` the questions are spread over Ray workers as `sleuth batch --ray` spreads them."""
    from sleuth.agent.api import ResearchAgent
    from sleuth.agent.batch import answers

    path = out / "runs" / f"{config.name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    done = done_ids(path)
    todo = {item.id: item for item in items if item.id not in done}
    if progress:
        progress(len(items) - len(todo))
    if not todo:
        return path
    with ResearchAgent(config.settings) as agent:
        agent.ingest([corpus])
        pending = [(item.id, item.question) for item in todo.values()]
        for answer in answers(agent, pending, no_answer, ray=ray, workers=workers, say=say):
            row = {"config": config.name, **score(todo[answer.id], answer)}
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            if progress:
                progress(1)
    return path


__all__ = ["Config", "QAItem", "check_corpus", "load_questions", "make_configs", "run_config", "score"]
