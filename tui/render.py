"""The renderings of an Answer, for `sleuth ask`, `sleuth memory show` and the chat alike: Markdown for the screen,
Markdown with references to paste, and BibTeX of the cited works."""

from __future__ import annotations

import re

from sleuth.lexicon import FUNCTION_WORDS
from sleuth.prompts.bounded import PHRASE_CHARS
from sleuth.prompts.signatures import MARKER
from sleuth.schema import Answer, Citation
from sleuth.tools.text import inert

SNIPPET = 240
CUT_MARGIN = 12  # a phrase this close to the bound was likely cut there (whole_words drops the cut word)


def answer_markdown(answer: Answer, links: bool = False, warning: bool = True) -> str:
    """The answer, its short answer, its sources with their cited spans, its cost and (with `warning`) what went
    wrong, as Markdown; with `links`, each marker `[n]` is a link to `#source-n` (the chat opens that source when it
    is clicked)."""
    text = answer.answer or "_(no answer)_"
    if links and answer.citations:
        numbers = {c.n for c in answer.citations}
        text = MARKER.sub(
            lambda m: f"[\\[{m.group(1)}\\]](#source-{m.group(1)})" if int(m.group(1)) in numbers else m.group(0), text
        )
    lines = [text]
    if answer.citations and reads_whole(answer.short_answer):
        lines.append(f"\n**In short:** {answer.short_answer}")
    if answer.citations:
        lines.append(sources_markdown(answer))
    lines.append(f"\n_{cost_line(answer)}_")
    if answer.memory and answer.memory.used:
        lines.append(f"\n_{answer.memory.describe()}_")
    if answer.error and warning:
        lines.append(f"\n> warning: {answer.error}")
    return "\n".join(lines)


def reads_whole(short: str) -> bool:
    """A short answer worth showing: a phrase that ends where its meaning does. One that filled its bound was cut
    ("First improves inference speed by 50% and maintains"), and one ending on a word like "and" or "the" too."""
    words = short.split()
    if not words or short.lower() == "unknown":
        return False
    cut = len(short) >= PHRASE_CHARS - CUT_MARGIN and len(words) > 1
    return not cut and words[-1].lower().strip(",;:") not in FUNCTION_WORDS


def sources_markdown(answer: Answer) -> str:
    """The answer's sources, each with its cited span ("" when it cites none)."""
    if not answer.citations:
        return ""
    lines = ["\n**Sources**\n"]
    for c in answer.citations:
        page = f", p. {c.page}" if c.page else ""
        byline = ", ".join(part for part in (c.authors, c.year) if part)
        byline = f"{byline}, " if byline else ""
        lines.append(f"- **[{c.n}]** {inert(c.title)} ({byline}`{c.doc_id}`{page}): {_quote(c)}")
    return "\n".join(lines)


def report_markdown(answer: Answer) -> str:
    """An answer or a report as a Markdown document to paste into a paper or a note: the question as its title,
    the text, then the numbered references (title, authors, year, venue, DOI or URL, else the file and page) in
    citation order. `--format markdown`, `--markdown FILE` and the chat's copy (F7) all write this."""
    lines = [f"# {answer.question}", "", answer.answer or "_(no answer)_", ""]
    if answer.citations:
        lines += ["## References", ""]
        lines += [f"{c.n}. {reference(c)}" for c in answer.citations]
    lines += ["", f"_{cost_line(answer)}_", ""]
    return "\n".join(lines)


def reference(c: Citation) -> str:
    """One reference line: `Title. Authors. Venue, Year. https://doi.org/DOI (p. 3)`."""
    title = inert(c.title or c.doc_id).rstrip(".")
    venue_year = ", ".join(part for part in (inert(c.venue), c.year) if part)
    where = f"https://doi.org/{c.doi}" if c.doi else c.url or c.source or c.doc_id
    page = f" (p. {c.page})" if c.page else ""
    return " ".join(
        part
        for part in (
            f"{title}.",
            f"{inert(c.authors)}." if c.authors else "",
            f"{venue_year}." if venue_year else "",
            f"{where}{page}",
        )
        if part
    )


def bibtex(answer: Answer) -> str:
    """The cited works as BibTeX entries, one per document in citation order: a work from a .bib or a Zotero
    library keeps its key and type; any other gets a key made from its first author, year and title."""
    entries, seen = [], set()
    for c in answer.citations:
        if c.doc_id in seen:
            continue
        seen.add(c.doc_id)
        kind = c.kind or ("article" if c.venue else "misc")
        fields = {
            "title": "{" + c.title + "}" if c.title else "",
            "author": " and ".join(name.strip() for name in c.authors.split(",") if name.strip()),
            "year": c.year,
            ("booktitle" if kind == "inproceedings" else "journal"): c.venue,
            "doi": c.doi,
            "url": c.url,
            "note": "" if (c.doi or c.url) else f"{c.source or c.doc_id}" + (f", p. {c.page}" if c.page else ""),
        }
        body = ",\n".join(f"  {name} = {{{_bib_value(value)}}}" for name, value in fields.items() if value)
        entries.append(f"@{kind}{{{c.key or _bib_key(c)},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")


def _bib_key(c: Citation) -> str:
    """`smith2020dense`: the first author's last name, the year, the title's first long word."""
    first = c.authors.split(",")[0].split()[-1:] if c.authors else []
    word = next((w for w in re.findall(r"[A-Za-z]+", c.title) if len(w) > 3), "")
    key = "".join(re.findall(r"[A-Za-z0-9]+", "".join(first) + c.year + word)).lower()
    return key or re.sub(r"[^A-Za-z0-9]+", "", c.doc_id)[:24] or "source"


def _bib_value(value: str) -> str:
    """A value as BibTeX reads it: braces balanced (unbalanced ones dropped), no line breaks."""
    value = " ".join(value.split())
    depth, kept = 0, []
    for ch in value:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        kept.append(ch)
    text = "".join(kept)
    return text + "}" * depth


def _quote(citation: Citation) -> str:
    """The cited span (the sentences that support the answer), else the passage's beginning."""
    text = " … ".join(inert(q) for q in citation.quotes) or inert(citation.text)
    text = text if len(text) <= SNIPPET else text[:SNIPPET].rsplit(" ", 1)[0] + " ..."
    return f"“{text}”" if citation.quotes else text


def cost_line(answer: Answer) -> str:
    """Seconds, LM calls and prompt tokens (evaluated and reused from the engine's cache), path, run id."""
    u = answer.usage
    parts = [f"{answer.seconds:.1f}s", f"{u.llm_calls} LM call(s)"]
    if u.input_tokens:
        parts.append(f"{u.evaluated_tokens:,} prompt tokens evaluated, {u.cached_tokens:,} reused")
    if answer.path:
        parts.append(f"{answer.path} path")
    if answer.model:
        parts.append(f"model {answer.model}")
    parts.append(f"run {answer.run_id[:12]}")
    return ", ".join(parts)
