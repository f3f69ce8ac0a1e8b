"""Secrets out of text bound for a log line (or an error report): one place, used by
`core.logs` for every line, its message and its rendered traceback alike.

Two nets:
- by key: a field named like a secret (`password`, `token`, `cookie`, …) is replaced whole;
- by shape, anywhere in any text (a message, an exception's text, a traceback): password
  hashes (argon2, bcrypt), personal access tokens (`sc_pat_…`), JWTs, `Bearer …` credentials,
  `password=…`-style pairs and cookies, SQLAlchemy's `[parameters: …]` line, and the values
  PostgreSQL quotes in its errors (`Key (email)=(…)`, `Failing row contains (…)`).

A redacted value reads `***`, so a log reader sees that something was there.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

# Keys whose value is never written, whatever a caller passes (compared lower-case).
SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "hashed_password",
        "token",
        "access_token",
        "refresh_token",
        "token_hash",
        "jwt_secret",
        "secret",
        "api_key",
        "authorization",
        "cookie",
        "set-cookie",
        "ticket",
        "stockcast_session",
    }
)

_SECRET_NAMES = r"password|passwd|pwd|secret|token|api[_-]?key|authorization|cookie|ticket|stockcast_session"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Password hashes: argon2 ($argon2id$v=19$m=…,t=…,p=…$salt$hash) and bcrypt.
    (re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9=,$+/.]*"), "$argon2" + MASK),
    (re.compile(r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{20,}"), "$2" + MASK),
    # Personal access tokens and JWTs (base64url JSON header "{"… is always "eyJ").
    (re.compile(r"sc_pat_[A-Za-z0-9_-]+"), "sc_pat_" + MASK),
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + MASK),
    # name=value, name: value, "name": "value" (query strings, headers, reprs, JSON).
    (
        re.compile(rf"(?i)((?:{_SECRET_NAMES})[A-Za-z_-]*['\"]?\s*[:=]\s*['\"]?)([^\s'\",;&}})\]]+)"),
        r"\1" + MASK,
    ),
    # SQL parameters in SQLAlchemy's error text (an engine may not hide them).
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: " + MASK + "]"),
    # Values PostgreSQL quotes back in constraint errors.
    (re.compile(r"(Key \([^)\n]*\)=\()[^\n]*?(\) (?:already exists|is not present|is still referenced))"), r"\1***\2"),
    (re.compile(r"(Failing row contains \()[^\n]*(\))"), r"\1***\2"),
)


# What every pattern above needs somewhere in the text, in lower case: most log text (every
# access-log line) has none of it and skips the patterns. Keep it a superset when a pattern is
# added.
_TRIGGERS = rf"\$|sc_pat_|eyj|bearer|basic|{_SECRET_NAMES}|\[parameters: |key \(|failing row"
_MAY_HOLD_SECRET = re.compile(_TRIGGERS, re.IGNORECASE)
_MAY_HOLD_SECRET_LOWERED = re.compile(_TRIGGERS)


def may_hold_secret(text: str) -> bool:
    """Whether `text` holds anything a pattern looks for. ASCII text is lowered and searched
    case-sensitively: the same answer as the case-insensitive search (which also folds a few
    non-ASCII letters, such as the dotless i, onto ASCII ones), at about a tenth of its cost,
    paid on every field of every log line."""
    if text.isascii():
        return _MAY_HOLD_SECRET_LOWERED.search(text.lower()) is not None
    return _MAY_HOLD_SECRET.search(text) is not None


def redact_text(text: str) -> str:
    """`text` with every secret-shaped part masked (see the module docstring)."""
    if not may_hold_secret(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any, *, key: str | None = None) -> Any:
    """A copy of a log field's value with secrets masked, by key and by shape, at any depth."""
    if key is not None and key.lower() in SECRET_KEYS:
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item) for item in value)
    return value
