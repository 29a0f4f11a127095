"""The text heuristics sleuth tunes, in one place: sentences, content and stop words, names, and the words that say
"unknown". Each rule here was chosen on a named data set (the comments say which); a change to one is a change to
everything that reads text the same way, which is the point of keeping them together.

Nothing here imports anything of sleuth's: every layer (tools, memory, agent, evals) may use it.
"""

from __future__ import annotations

import re

# -- sentences ---------------------------------------------------------------------------------------------------

# A full stop ends a sentence unless it closes an initial ("E. B. White") or a common abbreviation ("Dr.", "St.").
_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\b[A-Z]\.)(?<!\b(?:Dr|Mr|Ms|St|Jr|Sr|Co|No|vs|al|Mt|Ft)\.)(?<!\b(?:Mrs|Inc|Ltd|Gen|Col|Rev)\.)"
    r"\s+(?=[A-Z0-9\"'(])"
)
# Where a run of capitalised words must stop when names are collected from a passage: a sentence end after a word,
# a closing bracket or quote (looser than `_SENTENCE_END`: "U.S. Army" may be cut, a name never runs on).
_NAME_BREAK = re.compile(r"(?<=[\w)\"'][.!?])\s+(?=[A-Z0-9\"'(])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, as offsets into `text` itself."""
    spans, start = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text.rstrip())))
    return [(a, b) for a, b in spans if text[a:b].strip()]


# -- words -------------------------------------------------------------------------------------------------------


def content_words(text: str) -> set[str]:
    """Lowercased words of four letters or more, and numbers: what two texts must share to say the same thing."""
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3 or w.isdigit()}


def coverage_of(sentence: str, passage_words: set[str]) -> float:
    """The share of the sentence's content words that the passage holds."""
    words = content_words(sentence)
    return len(words & passage_words) / len(words) if words else 0.0


# Words of four letters or more that say nothing of a topic: memory's full-text queries and the question check.
_STOPWORDS = """about above after again against also among and are because been before being between both but can
    could did does doing done during each else from further had has have having here how into its itself
    just many more most much must not now off once only other over same should some such than that the their
    them then there these they this those through under until very was were what when where which while who
    whom whose why will with within would your"""
STOPWORDS = frozenset(_STOPWORDS.split())
# The shorter ones, for deciding whether a question has anything to search for at all.
SHORT_STOPWORDS = frozenset(
    {"a", "an", "and", "any", "are", "as", "at", "be", "by", "can", "do", "for", "he", "how", "i", "if", "in", "is"}
    | {"it", "me", "my", "no", "not", "of", "on", "or", "so", "the", "to", "up", "us", "we", "who", "why", "you"}
    | {"all", "was", "its"}
)
# Words a short answer's phrase may hold but not start or end with, and that say nothing of its own.
FUNCTION_WORDS = frozenset(
    "the a an of in on at to for by and or with from as is are was were be been its their his her".split()  # noqa: SIM905
)

# -- names -------------------------------------------------------------------------------------------------------

# Names as written in a passage: a run of capitalised words (initials such as U.S. included), joined by "of", "the",
# "de", ... or a year. Chosen with the LLM-free multi-hop search on HotpotQA train100 (tools/multihop.py).
_CAPITALISED = r"[A-Z][\w'’&-]*(?:\.[A-Za-z][\w'’&-]*)*\.?"
_NAME = re.compile(rf"\b{_CAPITALISED}(?:\s+(?:of|the|de|la|von|van|and|for|{_CAPITALISED}|\d{{2,4}}))*")
_MONTHS_AND_DAYS = set(
    "January February March April May June July August September October November December "  # noqa: SIM905
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
# Capitalised words that open a sentence or a clause rather than a name.
_NOT_NAME_STARTS = set(
    "The A An In It He She They This That These Those His Her Its Their On At By For From With As After Before "  # noqa: SIM905
    "During When While If However Although But And Or Of To Is Was Are Were Who What Which".split()
)
_NAME_JOINERS = {"of", "the", "de", "la", "von", "van", "and", "for"}


def mentioned_names(text: str, exclude: str, limit: int, title: str = "") -> list[str]:
    """Capitalised names in `text` that `exclude` (the question) and `title` (the passage's own subject) do not
    already contain, in order of appearance. Names never run across sentences; a leading article or
    sentence-opening word, dates and weekdays are left out."""
    seen: dict[str, None] = {}
    known = f"{exclude} {title}".lower()
    for sentence in _NAME_BREAK.split(text):
        for match in _NAME.finditer(sentence):
            words = match.group(0).strip(" .,'’-").split()
            while words and (words[0] in _NOT_NAME_STARTS or words[0] in _MONTHS_AND_DAYS):
                words.pop(0)
            while words and words[-1].lower() in _NAME_JOINERS:
                words.pop()
            name = " ".join(words).strip(" .,'’-")
            opener = match.start() == 0 and len(words) == 1  # "Furthermore", "Lasting": a sentence's first word
            if opener or len(name) < 3 or name.isdigit() or name.lower() in known:
                continue
            seen.setdefault(name, None)
            if len(seen) == limit:
                return list(seen)
    return list(seen)


# Names as an answer sentence holds them, for asking whether a passage names them too (agent/checks/attribution.py,
# chosen on HotpotQA train100's first 60 answers): a token with a digit or an inner capital ("BM25", "ColBERT"), or a
# capitalised word after the sentence's first.
_TOKEN = re.compile(r"[^\W_][\w'’-]*")
_NOT_NAMES = {"i", "a", "the", "yes", "no", "it", "its", "this", "these", "both", "neither", "in", "on"}
_OPENING = re.compile(r"\s*(?P<first>[^\W_][\w'’-]*) +[^\W_]")
_NOT_OPENERS = _NOT_NAMES | set(
    "after also although as at because before but by compared despite during each either every for from he her his "  # noqa: SIM905
    "however if like many most our she since so some such than that their then there they those though thus to "
    "unlike until we when where whereas which while who with without".split()
)  # capitalised first words that open a sentence rather than a name
SUBJECT_WITHIN = 2  # a name among a sentence's first three words is its subject


class Tokens:
    """A text's words, lowercased, for asking whether it names something (an acronym by its initials too)."""

    def __init__(self, text: str) -> None:
        sequence = [t.lower() for t in _TOKEN.findall(text)]
        parts = [p for t in sequence for p in re.split(r"[-'’]", t) if p]
        self.words = set(sequence) | set(parts)
        self.initials = "".join(p[0] for p in parts)

    def has(self, name: str) -> bool:
        if name in self.words or name.rstrip("s") in self.words or f"{name}s" in self.words:
            return True
        parts = [p for p in re.split(r"[-'’]", name) if p]
        if len(parts) > 1 and all(p in self.words for p in parts):
            return True
        letters = name.rstrip("s")
        return letters.isalpha() and 2 <= len(letters) <= 6 and letters in self.initials

    def has_all(self, names: set[str] | list[str]) -> bool:
        return all(self.has(name) for name in names)


def _names(sentence: str) -> list[tuple[int, str]]:
    found = []
    for i, token in enumerate(_TOKEN.findall(sentence)):
        token = token.strip("'’-")
        inner_capital = any(c.isupper() for c in token[1:])
        is_name = any(c.isdigit() for c in token) or inner_capital or (i > 0 and token[:1].isupper())
        if is_name and token.lower() not in _NOT_NAMES:
            found.append((i, token.lower()))
    return found


def names_of(sentence: str) -> set[str]:
    """The names in a sentence (lowercased): capitalised words after its first, and words with a digit or a capital
    inside ("BM25", "ColBERT") anywhere: what the sentence is about, which its passages must name."""
    return {name for _, name in _names(sentence)}


def subject_of(sentence: str) -> list[str]:
    """The name a sentence opens with ("Sparse BM25 is ...", "The Tat Sae Waterfalls are ..."), if any: what it is
    about, as its words; a capitalised first word before it belongs to it ("Scott Howell is ..." is about Scott
    Howell, not about any Howell)."""
    at, name = next(((at, name) for at, name in _names(sentence) if at <= SUBJECT_WITHIN), (-1, ""))
    if not name:
        return []
    opening = _OPENING.match(sentence)  # a first word joined to the name by a space: "Scott Howell", not "However, X"
    if at == 1 and opening and opening["first"][:1].isupper() and opening["first"].lower() not in _NOT_OPENERS:
        return [opening["first"].lower(), name]
    return [name]


# A run of capitalised words at the end of a text: the first option of "... formed first The Exies or Circus Diablo?"
NAME_RUN_AT_END = re.compile(r"(?:\b(?:[Tt]he\s+)?[A-Z][\w'.-]*(?:\s+(?:of|the|de|von|van|and)?\s*[A-Z][\w'.-]*)*)\s*$")
# A capitalised word of three letters or more, not a question's first word nor a sentence's: a follow-up that names
# something of its own ("and what about ColBERT?") needs no conversation to be understood.
NAME_INSIDE = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][A-Za-z0-9-]{2,}")

# Words an answer sentence may add to the question's without saying anything new ("X and Y differ in how they
# rank [1][2]" for "How do X and Y differ in how they rank?"): a sentence must add more than these.
GENERIC_WORDS = frozenset(
    "about also answer approach approaches aspect aspects based both called compare compared comparison differ "  # noqa: SIM905
    "differs different difference differences each either further main method methods named paper papers "
    "propose proposes proposed question regarding respectively several similar similarly study studies such "
    "technique techniques their these they this those uses using various well what whereas which while work works "
    "does make makes made there have having been".split()
)


def stem(word: str) -> str:
    """A word without a plural or third-person s ("rankers" and "ranker" match)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def new_words(sentence: str, question: str) -> set[str]:
    """What a sentence says that the question does not: its content words and names, less the question's (a name
    matching the question's words by their initials, "PRP" for "Pairwise Ranking Prompting", counts as said) and
    less the words that say nothing of their own."""
    asked = Tokens(question)
    asked_stems = {stem(w) for w in content_words(question)}
    sentence = re.sub(r"\[\d+\]", " ", sentence)  # citation markers are no words of the sentence
    words = content_words(sentence) | names_of(sentence)
    return {w for w in words if w not in GENERIC_WORDS and stem(w) not in asked_stems and not asked.has(w)}


# Words that ask rather than name what is asked about ("What does X achieve", "what did they find").
ASKING_WORDS = frozenset(
    "achieve achieves achieved address addresses find found show shows showed report reports reported describe "  # noqa: SIM905
    "describes explain explains like without within give gives example examples mean means".split()
)


def asked_terms(question: str) -> set[str]:
    """What a question asks about beyond the works it names: its content words, less stop words, the words that
    say nothing of their own and its names ("How does ICR re-rank documents without generating text?" ->
    rank, documents, generating, text). An answer that holds none of them has not answered."""
    names = {part for name in names_of(question) for part in re.split(r"[^a-z0-9]+", name) if part}
    words = content_words(question) - STOPWORDS - GENERIC_WORDS - ASKING_WORDS - names
    return {w for w in words if not w.isdigit()}


def holds_term(term: str, words: set[str]) -> bool:
    """True if `words` hold `term` or a word of its family: the same first five letters ("generating" and
    "generation", "ranking" and "rank")."""
    key = term[:5]
    return any(w[:5] == key for w in words if len(w) >= min(4, len(term)))


# A question answered by yes or no ("Are both X and Y documentaries?").
YES_NO_QUESTION = re.compile(r"^(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.I)


# -- "unknown" ---------------------------------------------------------------------------------------------------

# A short answer that knows nothing (agent/checks/short.py).
NOT_KNOWN = {"", "unknown", "none", "n/a", "not found", "not known", "not mentioned", "not stated", "no answer"}
_UNKNOWN_CUES = ("do not say", "does not say", "not mentioned", "not provided", "no passage")
# A gap a draft names that is no gap ("none", "-"): no further round is searched for it (agent/loop/program.py).
NO_GAP = {"", "none", "nothing", "n/a", "na", "empty", "no", "unknown", "-"}
# An answer that says the collection does not hold something (counted by the benchmarks: beside an answer, it is
# a part said missing).
_NOT_FOUND_CUES = re.compile(
    r"not found in the collection|do(?:es)? not (?:answer|say|mention|provide|specify|state)|not mentioned"
    r"|no (?:passage|information)|(?:is|are) not (?:given|stated|provided)",
    re.I,
)


def says_not_found(text: str) -> bool:
    """True for text that says something was not found or not said by the passages."""
    return bool(_NOT_FOUND_CUES.search(text))


def says_unknown(text: str) -> bool:
    """True for a phrase that says the passages do not give the answer ("The passages do not say")."""
    lowered = text.lower()
    return any(cue in lowered for cue in _UNKNOWN_CUES)


__all__ = [
    "FUNCTION_WORDS",
    "GENERIC_WORDS",
    "NAME_INSIDE",
    "NAME_RUN_AT_END",
    "NOT_KNOWN",
    "NO_GAP",
    "YES_NO_QUESTION",
    "SHORT_STOPWORDS",
    "STOPWORDS",
    "Tokens",
    "content_words",
    "coverage_of",
    "mentioned_names",
    "new_words",
    "says_not_found",
    "stem",
    "names_of",
    "says_unknown",
    "sentence_offsets",
    "split_sentences",
    "subject_of",
]
