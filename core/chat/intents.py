"""Recognising what a question asks for: an intent name and the tickers it mentions.

Plain rules, checked in order (the first that matches wins); they cover the common questions
the grounded answerer handles. A question no rule matches is answered from retrieval, unless
it names no ticker and no word of the app's domain ("weather in Paris"): that one is
`out_of_scope`, and gets a plain statement of what the chat can answer, with no sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OUT_OF_SCOPE = "out_of_scope"
INTENT_RULES: list[tuple[str, tuple[str, ...]]] = [
    (
        # Before every other rule: "should I buy NVDA" asks for a recommendation, which the
        # chat never gives; it answers with the figures and a caveat.
        "advice",
        (
            r"\bshould\s+(i|we)\s+(buy|sell|hold|invest|add|keep|dump|trim|get\s+(in|out))",
            r"\b(is|are)\b.*\b(a\s+)?(good|bad|smart|safe)\s+(buy|investment|bet|stock)",
            r"\bworth\s+(buying|selling|investing)",
            r"\b(buy|sell),?\s+(or|hold\s+or)\s+(sell|hold|buy)\b",
            r"\brecommend\w*\b|\badvi[cs]e\b",
        ),
    ),
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
        "closed",
        (
            r"\bclosed\b|\bsold\b|\bexited\b|\bno\s+longer\s+(hold|own)",
            r"(?<!un)reali[sz](e|ed|ing)\b|\bbooked\b",
        ),
    ),
    ("income", (r"\b(dividends?|fees?|commissions?|income|charges?|charged|payouts?|yield)\b",)),
    ("cash", (r"\b(cash|deposit\w*|withdraw\w*|uninvested|buying\s+power)\b",)),
    (
        "largest_smallest",
        (
            r"\b(biggest|largest|smallest|heaviest|lightest|tiniest)\s+(holdings?|positions?|stakes?|stocks?|"
            r"investments?|weights?|share\s+of)\b",
            r"\b(holdings?|positions?|stakes?|stocks?|investments?)\b.*\b(biggest|largest|smallest|heaviest)\b",
            r"\b(top|main|major)\s+(holdings?|positions?)\b",
            r"\bmost\s+of\s+my\s+(money|portfolio)\b",
        ),
    ),
    (
        "best_worst",
        (
            r"\b(best|worst|top|bottom|winners?|losers?|strongest|weakest)\b.*\b(holdings?|stocks?|positions?|"
            r"performers?|investments?|tickers?|shares?|perform\w*)\b",
            r"\b(holdings?|stocks?|positions?)\b.*\b(best|worst|most|least)\b",
            r"\b(winners?|losers?|gainers?)\b",
        ),
    ),
    ("allocation", (r"\b(allocat\w*|sectors?|diversif\w*|weights?|weighting|breakdown|exposure|concentrat\w*)\b",)),
    ("risk", (r"\b(risk\w*|volatil\w*|drawdown|sharpe|beta|var|twr|xirr|(time|money)[-\s]weighted)\b",)),
    ("price", (r"\b(price|close|closing|quote|trading\s+at|returns?)\b",)),
    (
        "pnl",
        (
            r"p\s*&\s*l|\bpnl\b|\bprofits?\b|\bloss(es)?\b|\bgain(s|ed)?\b",
            r"\bmade\b|\bmake\b|\bearn\w*|\blost\b|\bup\s+or\s+down\b",
        ),
    ),
    ("value", (r"\b(worth|value|valued|how\s+much|total|balance)\b",)),
    (
        # Last: "the value of my holdings" is a value question, "list my holdings" this one.
        "holdings",
        (
            r"\bwhat\s+(do|does)\s+(i|we|my\s+portfolio)\s+(hold|own|have)\b",
            r"\b(which|what)\s+(stocks?|shares|tickers?|companies|positions?|holdings?)\s+(do|does|am)\s+(i|we)\b",
            r"\b(list|show|display|give|tell|see)\b.*\b(holdings?|positions?|stocks|shares)\b",
            r"\bhow\s+many\s+(\w+\s+)?shares\b",
            r"\b(my|our)\s+(holdings|positions)\s*\??$",
        ),
    ),
]

_COMPILED = [(name, [re.compile(p) for p in patterns]) for name, patterns in INTENT_RULES]
# Words of what the app knows about: a question with none of them, no intent and no ticker is
# out of scope. Stems, so that "prices", "priced" and "pricing" all count.
DOMAIN_WORDS = re.compile(
    r"\b(portfolio|stock|share|holding|position|ticker|symbol|compan|price|quote|close|market|invest|"
    r"asset|equit|fund|etf|forecast|predict|model|backtest|accura|error|mase|mape|arima|lstm|prophet|"
    r"naive|ensemble|champion|interval|skill|chart|trade|trading|buy|sell|bought|sold|transaction|"
    r"ledger|import|export|csv|broker|dividend|fee|cash|deposit|withdraw|alert|watchlist|sector|"
    r"allocat|risk|volatil|sharpe|beta|drawdown|return|twr|xirr|benchmark|p\s*&\s*l|pnl|profit|loss|"
    r"gain|worth|value|money|dollar|\$|account|log\s*in|sign|password|role|viewer|analyst|admin|user|"
    r"job|schedul|refresh|mlflow|api|token|chat|app|stockcast|page|dashboard|help|data|history|report)"
)
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


def is_in_domain(text: str) -> bool:
    return DOMAIN_WORDS.search(text.lower()) is not None


def parse_question(text: str, *, names: Mapping[str, str | None], own: Iterable[str] = ()) -> Question:
    intent, tickers = detect_intent(text), find_tickers(text, names=names, own=own)
    if intent is None and not tickers and not is_in_domain(text):
        intent = OUT_OF_SCOPE
    return Question(text=text, intent=intent, tickers=tickers)
