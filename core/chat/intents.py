"""Recognising what a question asks for: an intent name and the tickers it mentions.

Plain rules, checked in order (the first that matches wins); they cover the common questions
the grounded answerer handles. Anything else has no intent and is answered from retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

INTENT_RULES: list[tuple[str, tuple[str, ...]]] = [
    (
        "predictions_review",
        (
            r"\b(my|our)\s+(past\s+)?(predictions?|forecasts?)\b.*\b(do|did|doing|go|went|perform\w*|accura\w*|scor\w*)\b",
            r"\bhow\s+(accurate|good|well)\s+(were|are|did|have)\s+(my|our)\s+(predictions?|forecasts?)",
            r"\bprediction\s+accuracy\b",
        ),
    ),
    (
        "best_model",
        (
            r"\bmodels?\b.*\b(accura\w*|best|perform\w*|errors?|champion|wins?)\b",
            r"\b(accura\w*|best|champion)\b.*\bmodels?\b",
        ),
    ),
    ("forecast", (r"\b(forecast\w*|predict\w*|outlook|projections?|price\s+target|expected\s+price)\b",)),
    (
        "best_worst",
        (
            r"\b(best|worst|top|bottom|winners?|losers?|strongest|weakest)\b.*\b(holdings?|stocks?|positions?|"
            r"performers?|investments?|tickers?|shares?|perform\w*)\b",
            r"\b(holdings?|stocks?|positions?)\b.*\b(best|worst|most|least)\b",
        ),
    ),
    ("allocation", (r"\b(allocat\w*|sectors?|diversif\w*|weights?|weighting|breakdown|exposure|concentrat\w*)\b",)),
    ("risk", (r"\b(risk\w*|volatil\w*|drawdown|sharpe|beta|var)\b",)),
    ("price", (r"\b(price|close|closing|quote|trading\s+at|returns?)\b",)),
    ("pnl", (r"p\s*&\s*l|\bpnl\b|\bprofits?\b|\bloss(es)?\b|\bgain(s|ed)?\b|\bmade\b|\blost\b|\bup\s+or\s+down\b",)),
    ("value", (r"\b(worth|value|valued|how\s+much|total|balance)\b",)),
]

_COMPILED = [(name, [re.compile(p) for p in patterns]) for name, patterns in INTENT_RULES]
# Words of company names too common to identify a company on their own.
_NAME_STOPWORDS = {"the", "general", "first", "american", "united", "international", "national", "bank", "group"}
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9.\-]{0,15}")


@dataclass(frozen=True)
class Question:
    text: str
    intent: str | None
    tickers: tuple[str, ...]


def detect_intent(text: str) -> str | None:
    lowered = text.lower()
    for name, patterns in _COMPILED:
        if any(pattern.search(lowered) for pattern in patterns):
            return name
    return None


def find_tickers(text: str, *, names: Mapping[str, str | None], own: Iterable[str] = ()) -> tuple[str, ...]:
    """Tickers named in `text`: an upper-case known symbol, one of the user's own symbols in any
    case (two letters or more), or the first word of a known company name ("apple")."""
    own = {symbol.upper() for symbol in own}
    found: list[str] = []
    for token in _TOKEN.findall(text):
        token = token.rstrip(".-")
        symbol = token.upper()
        is_symbol = symbol in names and (token.isupper() or (symbol in own and len(symbol) >= 2))
        if is_symbol and symbol not in found:
            found.append(symbol)
    lowered = text.lower()
    for symbol, name in names.items():
        first = (name or "").split(" ")[0].strip(",.").lower()
        if len(first) < 4 or first in _NAME_STOPWORDS or symbol in found:
            continue
        if re.search(rf"(?<![\w-]){re.escape(first)}(?![\w-])", lowered):
            found.append(symbol)
    return tuple(found)


def parse_question(text: str, *, names: Mapping[str, str | None], own: Iterable[str] = ()) -> Question:
    return Question(text=text, intent=detect_intent(text), tickers=find_tickers(text, names=names, own=own))
