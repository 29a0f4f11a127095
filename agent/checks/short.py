"""The short answer: a phrase or number, consistent with the answer's sentences, present when they answer.

A small LM asked for "the answer in a few words" often writes a whole sentence that restates the question
("G. Stanley Hall was the first president of the American Psychological Association."), prefixes it ("The answer
is ..."), or leaves it "unknown" while its own sentences state the answer. All three are fixed here without an LM:
a restating sentence is cut at its verb ("X was Y") and the side that repeats the question is dropped; an empty
short answer is taken, the same way, from the first cited sentence.
"""

from __future__ import annotations

import re

from sleuth.lexicon import FUNCTION_WORDS, NAME_RUN_AT_END, NOT_KNOWN, YES_NO_QUESTION, says_unknown

UNKNOWN = "unknown"
MAX_WORDS = 6  # a short answer longer than this is a sentence, not a phrase
_LEAD_IN = re.compile(
    r"^(?:(?:the\s+)?(?:short\s+)?answer\s+(?:is|would be)\s*(?:that\s+)?:?|according to (?:the )?passages?(?: \d+)?,?"
    r"|based on (?:the )?passages?,?|in short,?)\s*",
    re.I,
)
_YES_NO = re.compile(r"^(yes|no)\b", re.I)
_COPULA = re.compile(r"\s(?:is|are|was|were|has been|have been|had been|became|becomes)\s", re.I)
_PLACED = re.compile(r"^(?:located|situated|based|born|found|held|known as|called|named)\s+(?:in|at|on|as)?\s*", re.I)
_CHOICE = re.compile(r"^(?P<before>.+?)\s+or\s+(?P<second>[^,?]+?)\s*\?\s*$", re.I)


def tidy_short_answer(short: str, question: str, sentences: list[str] | None = None, support: str = "") -> str:
    """`short` as a phrase: lead-ins and a trailing period gone, yes/no reduced to the word, a sentence that restates
    the question cut to the part that answers it; when it is empty or unknown, or names nothing that the answer's
    sentences or cited passages (`support`) say, the first of `sentences` (the answer's cited sentences, markers
    removed) cut the same way, if that leaves a phrase."""
    text = _clean(short)
    unsupported = bool(support) and _stated_nowhere(text, " ".join([support, *(sentences or [])]))
    if text.lower() in NOT_KNOWN or says_unknown(text) or unsupported:
        derived = next((p for p in (_phrase(_clean(s), question, cut=True) for s in sentences or []) if p), "")
        return derived if derived and len(derived.split()) <= MAX_WORDS else UNKNOWN
    if YES_NO_QUESTION.match(question.strip()) and (match := _YES_NO.match(text)):
        return match.group(1).lower()
    if chosen := _chosen_option(text, question):
        return chosen
    if len(text.split()) <= 3:
        return text
    return _phrase(text, question) or text


def said_in(short: str, sentences: list[str]) -> bool:
    """True if the sentences state the short answer: yes or no, or every one of its words (function words aside)."""
    words = _words(short) - {"yes", "no"}
    return not words or words <= _words(" ".join(sentences))


def is_phrase(drafted: str, tidied: str, question: str) -> bool:
    """True if the short answer the draft wrote is already a phrase: at most three words once cleaned, a yes or no
    to a yes/no question, or one of the two options the question offers."""
    text = _clean(drafted)
    if len(text.split()) <= 3 or bool(_chosen_option(text, question)):
        return True
    return bool(YES_NO_QUESTION.match(question.strip())) and tidied in ("yes", "no")


def _chosen_option(text: str, question: str) -> str:
    """Of a question that offers two options ("Which band was formed first, The Exies or Circus Diablo?"), the one
    the short answer names, as the question spells it ("The Exies were formed first in 1997" -> "The Exies"); "" if
    it is no such question, or the answer names both options or neither (it is then left as it is)."""
    options = _options(question)
    if not options:
        return ""
    said = _words(text)
    named = [option for option, own in zip(options, _own_words(options), strict=True) if own and own <= said]
    return named[0] if len(named) == 1 else ""


def _options(question: str) -> tuple[str, str] | None:
    """The two options of "..., A or B?": A is what follows the last comma, or else the run of capitalised words
    just before "or" ("... formed first The Exies or Circus Diablo?")."""
    question = question.strip()
    match = _CHOICE.search(question)
    if match is None or YES_NO_QUESTION.match(question):
        return None
    before, second = match.group("before"), match.group("second").strip()
    if "," in before:
        first = before.rsplit(",", 1)[1].strip()
    else:
        run = NAME_RUN_AT_END.search(before)
        first = run.group(0).strip() if run else ""
    first, second = (_name_in(option) for option in (first, second))
    if not first or not second or len(first.split()) > MAX_WORDS or len(second.split()) > MAX_WORDS:
        return None
    return first, second


def _name_in(option: str) -> str:
    """The option as a name: "the Pterocarya" -> "Pterocarya", "the birth of Robert Young" -> "Robert Young"."""
    option = option.strip()
    if option[:1].islower() and (run := NAME_RUN_AT_END.search(option)):
        return re.sub(r"^the\s+", "", run.group(0)).strip()
    return option


def _own_words(options: tuple[str, str]) -> tuple[set[str], set[str]]:
    """Each option's words that the other does not have ("Wright" and "Bach" of Richard Wright or Richard Bach)."""
    first, second = (_words(option) for option in options)
    return first - second, second - first


def _stated_nowhere(text: str, support: str) -> bool:
    """True if none of the short answer's words (yes/no aside) occurs in the text that supports the answer: a short
    answer the sentences do not bear out ("sitar" when the sentences say "Sarod")."""
    words = {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in FUNCTION_WORDS and w not in ("yes", "no")}
    return bool(words) and not words & set(re.findall(r"[a-z0-9]+", support.lower()))


def _clean(text: str) -> str:
    text = re.sub(r"\s*\[\d+\]", "", " ".join(str(text).split()))
    text = _LEAD_IN.sub("", text).strip(" \"'“”")
    return text[:-1] if text.endswith(".") and not re.search(r"\b[A-Z]\.$", text) else text


def _phrase(text: str, question: str, cut: bool = False) -> str:
    """The part of `text` that answers rather than restates the question: of "X is/was Y", the side that does not
    restate it (the shorter one if neither does); of a longer sentence that repeats the question's words ("Jack
    Owens wrote the song after ..."), its longest run of words the question does not have. "" if nothing is left,
    or, with `cut`, if the text has no such verb to cut it at (a sentence is then no short answer)."""
    asked = _words(question)
    match = _COPULA.search(text)
    if match is None and cut:
        return ""
    if match is not None:
        sides = [text[: match.start()].strip(" ,"), text[match.end() :].strip(" ,")]
        new = [side for side in sides if side and _share_asked(side, asked) < 0.5]
        if not new:
            return ""
        text = min(new, key=lambda side: len(side.split()))
    if len(text.split()) > MAX_WORDS and _share_asked(text, asked) >= 0.25:
        run = _longest_new_run(text, asked)
        text = run if _names_something(run) else text  # "Jack Owens", not "improves inference"
    text = _PLACED.sub("", text)
    return text if _says_something(text) else ""


def _names_something(phrase: str) -> bool:
    return any(word[:1].isupper() or any(c.isdigit() for c in word) for word in phrase.split())


def _says_something(phrase: str) -> bool:
    """A phrase that can be an answer: more than one word, or a name or a number ("made" is not one)."""
    return len(phrase.split()) > 1 or _names_something(phrase)


def _longest_new_run(text: str, asked: set[str]) -> str:
    """The longest run of consecutive words not in `asked` (function words may join a run, not start or end it)."""
    runs: list[list[str]] = [[]]
    for token in text.split():
        word = _stem(_key(token))
        if word in asked or (not word and runs[-1]):
            runs.append([])
        elif word:
            runs[-1].append(token)
    trimmed = [_trim(run) for run in runs]
    best = max(trimmed, key=lambda run: sum(_key(t) not in FUNCTION_WORDS for t in run), default=[])
    return " ".join(best).strip(" ,;:'\"()")


def _trim(run: list[str]) -> list[str]:
    while run and _key(run[0]) in FUNCTION_WORDS:
        run = run[1:]
    while run and (_key(run[-1]) in FUNCTION_WORDS or run[-1].endswith(",")):
        run = run[:-1] if _key(run[-1]) in FUNCTION_WORDS else [*run[:-1], run[-1].rstrip(",")]
    return run


def _key(token: str) -> str:
    return re.sub(r"[^a-z0-9]", "", token.lower())


def _words(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in FUNCTION_WORDS}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _share_asked(side: str, asked: set[str]) -> float:
    words = _words(side)
    return len(words & asked) / len(words) if words else 1.0


__all__ = ["UNKNOWN", "is_phrase", "said_in", "tidy_short_answer"]
