"""Which PDF text extractor should the reader use? pypdf against pypdfium2 and pdfplumber, on text quality and speed.

    python -m bench.pdf_study [--papers ../shared/data/papers/corpus.jsonl] [--real FILE.pdf ...]

Quality needs ground truth, so the study typesets real text (paper abstracts from the demo corpus) into PDFs with
reportlab in three layouts (one column, two columns, one column with a running header and page numbers), then
extracts it back. Per extractor: word F1 against the source text (bag of words), in-order word accuracy (longest
common subsequence of the first 3,000 words), words glued together or split by the extractor, and pages/s. The
real PDFs on this machine (manuals from /usr/share/doc) have no ground truth: for them the study prints speed,
agreement with the other extractors and the glued-word rate.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

WORD = re.compile(r"[A-Za-z0-9]+")


def pypdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() or "" for p in PdfReader(path).pages]


def pdfium_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_bounded() for page in document]
    finally:
        document.close()


def plumber_pages(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


EXTRACTORS: dict[str, Callable[[Path], list[str]]] = {
    "pypdf": pypdf_pages,
    "pypdfium2": pdfium_pages,
    "pdfplumber": plumber_pages,
}


def typeset(texts: list[str], path: Path, layout: str) -> str:
    """Write `texts` into a PDF; returns the ground-truth text in reading order."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

    styles = getSampleStyleSheet()
    width, height = A4
    margin = 50
    if layout == "two-column":
        gap = 20
        col = (width - 2 * margin - gap) / 2
        frames = [
            Frame(margin, margin, col, height - 2 * margin, id="left"),
            Frame(margin + col + gap, margin, col, height - 2 * margin, id="right"),
        ]
    else:
        frames = [Frame(margin, margin, width - 2 * margin, height - 2 * margin, id="body")]

    def decorate(canvas, doc) -> None:  # a running header and page number, as real papers have
        if layout == "header":
            canvas.setFont("Helvetica", 8)
            canvas.drawString(margin, height - 30, "Proceedings of the Retrieval Workshop")
            canvas.drawString(width / 2, 25, str(doc.page))

    doc = BaseDocTemplate(str(path), pagesize=A4, pageTemplates=[PageTemplate(frames=frames, onPage=decorate)])
    flow = [Paragraph(_escape(t), styles["BodyText"]) for t in texts]
    doc.build(flow)
    return "\n\n".join(texts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def word_f1(extracted: list[str], truth: list[str]) -> float:
    common = sum((Counter(extracted) & Counter(truth)).values())
    if not common:
        return 0.0
    precision, recall = common / len(extracted), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def order_accuracy(extracted: list[str], truth: list[str], limit: int = 3000) -> float:
    matcher = difflib.SequenceMatcher(None, extracted[:limit], truth[:limit], autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks()) / max(len(truth[:limit]), 1)


def glued(extracted: list[str], vocabulary: set[str]) -> float:
    """Share of extracted words that are not words of the source: two glued together, or one split apart."""
    return sum(w not in vocabulary for w in extracted) / max(len(extracted), 1)


def measure(name: str, path: Path) -> tuple[list[str], float, int]:
    started = time.perf_counter()
    pages = EXTRACTORS[name](path)
    return pages, time.perf_counter() - started, len(pages)


def run(papers: Path, real: list[Path]) -> None:
    rows = [json.loads(line) for line in papers.open()]
    texts = [f"{r.get('title', '')}. {r['text']}" for r in rows[:120]]
    results: dict[str, dict[str, list[float]]] = {
        n: {"f1": [], "order": [], "glued": [], "pps": []} for n in EXTRACTORS
    }
    with tempfile.TemporaryDirectory() as tmp:
        for layout in ("one-column", "two-column", "header"):
            for part in range(3):
                path = Path(tmp) / f"{layout}-{part}.pdf"
                truth_text = typeset(texts[part * 40 : (part + 1) * 40], path, layout)
                truth = words(truth_text)
                vocabulary = set(truth)
                for name in EXTRACTORS:
                    pages, seconds, count = measure(name, path)
                    got = words("\n".join(pages))
                    results[name]["f1"].append(word_f1(got, truth))
                    results[name]["order"].append(order_accuracy(got, truth))
                    results[name]["glued"].append(glued(got, vocabulary))
                    results[name]["pps"].append(count / seconds)
    print(f"== typeset ground truth: 9 PDFs (3 layouts x 3), {len(texts)} abstracts from {papers.name}")
    print(f"{'extractor':12s} {'word F1':>8s} {'in-order':>9s} {'glued/split':>12s} {'pages/s':>8s}")
    for name, r in results.items():
        print(
            f"{name:12s} {statistics.mean(r['f1']):8.4f} {statistics.mean(r['order']):9.4f} "
            f"{statistics.mean(r['glued']):12.4f} {statistics.median(r['pps']):8.1f}"
        )
    for path in real:
        print(f"\n== {path} (no ground truth)")
        extracted = {name: measure(name, path) for name in EXTRACTORS}
        bags = {name: words("\n".join(pages)) for name, (pages, _, _) in extracted.items()}
        for name, (_, seconds, count) in extracted.items():
            others = [word_f1(bags[name], bags[o]) for o in EXTRACTORS if o != name]
            long_words = sum(len(w) > 20 for w in bags[name]) / max(len(bags[name]), 1)
            print(
                f"{name:12s} {count} pages, {count / seconds:7.1f} pages/s, {len(bags[name]):6d} words, "
                f"agreement with the others (word F1) {statistics.mean(others):.3f}, words > 20 chars {long_words:.4f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=Path, default=Path(__file__).parents[1] / "tools" / "data" / "papers.jsonl")
    parser.add_argument(
        "--real",
        type=Path,
        nargs="*",
        default=[
            p
            for p in (
                Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
                Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"),
            )
            if p.exists()
        ],
    )
    args = parser.parse_args()
    run(args.papers, args.real)


if __name__ == "__main__":
    main()
