"""Ranking metrics from ir-measures (trec_eval's definitions, through pytrec_eval): nDCG@k with graded gains,
Recall@k, MRR@k; and the QA benchmarks' supporting-passage recall and attribution audit (the short-answer metrics,
EM and token F1, are in tools/answers.py)."""

from __future__ import annotations

MEASURES = {"nDCG@10": "nDCG@10", "Recall@100": "R@100", "MRR@10": "RR@10"}


def per_query(
    run: dict[str, list[str]], qrels: dict[str, dict[str, int]], measures: tuple[str, ...] = tuple(MEASURES)
) -> dict[str, dict[str, float]]:
    """Each judged query's metrics; a judged query missing from the run, or retrieving nothing, scores zero."""
    import ir_measures

    judged = {q: {d: int(g) for d, g in rel.items()} for q, rel in qrels.items() if rel}
    scored = {
        q: {d: float(len(ranking) - i) for i, d in enumerate(dict.fromkeys(ranking))} for q, ranking in run.items()
    }
    scored = {q: docs for q, docs in scored.items() if q in judged and docs}
    out = {q: dict.fromkeys(measures, 0.0) for q in judged}
    parsed = {ir_measures.parse_measure(MEASURES.get(m, m)): m for m in measures}
    for metric in ir_measures.iter_calc(list(parsed), judged, scored):
        out[metric.query_id][parsed[metric.measure]] = float(metric.value)
    return out


def evaluate(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean metrics over the judged queries; a judged query missing from the run counts as zero."""
    scores = per_query(run, qrels)
    if not scores:
        return {"nDCG@10": 0.0, "Recall@100": 0.0, "MRR@10": 0.0, "queries": 0}
    means = {m: sum(s[m] for s in scores.values()) / len(scores) for m in MEASURES}
    return {**means, "queries": len(scores)}


def support_found(ranked: list[str], gold: list[str], k: int = 10) -> tuple[float, float]:
    """Supporting-passage recall@k and all-found@k (1.0 when every gold passage is in the top k)."""
    top = set(ranked[:k])
    found = sum(g in top for g in gold)
    return found / len(gold), float(found == len(gold))


def facet_recall(text: str, facts: list[list[str]]) -> float:
    """The share of key facts an answer states: a fact (its alternatives: "50%", or "single token" / "first token")
    is stated when one alternative occurs in the text, case and dashes aside, starting at a word's start (so
    "recomput" finds "recomputes", and "2.2" does not find "12.2")."""
    import re

    def normal(text: str) -> str:
        return " ".join(re.sub(r"[\u2010-\u2015\u2212]", "-", text.replace("\\", "")).lower().split())

    said = normal(text)
    stated = [any(re.search(rf"(?<![\w]){re.escape(normal(alt))}", said) for alt in fact) for fact in facts]
    return sum(stated) / len(stated) if stated else 0.0


def restates_first(answer: str, question: str) -> bool:
    """True if the answer's first sentence says nothing the question did not (LLM-free, `lexicon.new_words`)."""
    from sleuth.lexicon import new_words, split_sentences

    first = split_sentences(answer)[:1]
    return bool(first) and not new_words(first[0], question)


def attribution_audit(answer: str, citations: list) -> dict[str, int]:
    """LLM-free audit of an answer's citations. Per cited sentence: the share of its content words found in its
    cited passages, and in the best other passage the answer cites. A sentence is misattributed when another
    cited passage covers it clearly better (by 0.25 or more), unsupported when its own passages cover under half."""
    import re

    from sleuth.lexicon import content_words, split_sentences

    texts = {c.n: content_words(f"{c.title} {c.text}") for c in citations}
    counts = {"cited_sentences": 0, "misattributed": 0, "unsupported": 0}
    for sentence in split_sentences(answer):  # rendered as "text [1][2]." so markers stay with their sentence
        own = [int(n) for n in re.findall(r"\[(\d+)\]", sentence) if int(n) in texts]
        words = content_words(re.sub(r"\[\d+\]", "", sentence))
        if not own or not words:
            continue
        counts["cited_sentences"] += 1
        covered = len(words & set().union(*(texts[n] for n in own))) / len(words)
        others = [len(words & texts[n]) / len(words) for n in texts if n not in own]
        counts["misattributed"] += bool(others) and max(others) >= covered + 0.25
        counts["unsupported"] += covered < 0.5
    return counts
