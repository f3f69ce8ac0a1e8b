"""Who may call what: every route of the app × role (admin/analyst/viewer/anonymous) × the
caller's own thing / another user's thing, against an explicit table of expectations.

The routes come from `app.routes` at run time, so a new route must be classified here: add one
line to RULES naming its policy (and, for routes on a user's thing, the resource the path
names, plus any request body it needs). Policies are the rows of POLICIES below.

Reading POLICIES: for each role, (outcome on the caller's own thing, outcome on another
user's thing). "ok" means the rule's `ok` statuses (2xx by default); a number is that status.
Routes without a resource in their path have no "own/other" distinction: the first column
applies.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from api.main import create_app
from core.config import get_settings
from core.db.tables import Role, User
from tests.factories import DEFAULT_PASSWORD, make_holding
from tests.security.conftest import ROLES, Person, bearer, change_settings, make_person

OK = "ok"
Outcome = str | int

POLICIES: dict[str, dict[str, tuple[Outcome, Outcome]]] = {
    # anyone, signed in or not
    "public": {"admin": (OK, OK), "analyst": (OK, OK), "viewer": (OK, OK), "anonymous": (OK, OK)},
    # any signed-in user; the answer is about the caller (or shared data)
    "signed_in": {"admin": (OK, OK), "analyst": (OK, OK), "viewer": (OK, OK), "anonymous": (401, 401)},
    # changes the caller's own data: viewers are read-only
    "writer": {"admin": (OK, OK), "analyst": (OK, OK), "viewer": (403, 403), "anonymous": (401, 401)},
    "admin": {"admin": (OK, OK), "analyst": (403, 403), "viewer": (403, 403), "anonymous": (401, 401)},
    # reading a thing owned by a user: another user's is "not found", even for admins
    "owned": {"admin": (OK, 404), "analyst": (OK, 404), "viewer": (OK, 404), "anonymous": (401, 401)},
    # changing a thing owned by a user: viewers are refused before the lookup
    "owned_write": {"admin": (OK, 404), "analyst": (OK, 404), "viewer": (403, 403), "anonymous": (401, 401)},
    # a user record: everyone manages their own; admins manage everyone's
    "user_record": {"admin": (OK, OK), "analyst": (OK, 404), "viewer": (OK, 404), "anonymous": (401, 401)},
}


@dataclass(frozen=True)
class Context:
    """What a request builder may use: the caller (None when anonymous) and the other user."""

    caller: Person | None
    other: Person

    @staticmethod
    def unique_email() -> str:
        return f"new-{uuid.uuid4().hex[:10]}@example.com"


Body = dict[str, Any] | Callable[[Context], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    policy: str
    resource: str | None = None  # a key of RESOURCES: the path parameter naming a user's thing
    params: dict[str, Any] = field(default_factory=dict)  # other path parameters
    query: dict[str, Any] | None = None
    json: Body | None = None
    form: Body | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None  # multipart uploads: name → (filename, content, type)
    ok: frozenset[int] = frozenset({200, 201, 202, 204})


# Resource name → (path parameter, factory making one for an owner and returning its id).
RESOURCES: dict[str, tuple[str, Callable[..., Any]]] = {
    "holding": ("stock_id", lambda session, owner: _as_writer(owner, lambda: _holding(session, owner))),
    "activity": ("activity_id", lambda session, owner: _as_writer(owner, lambda: _activity(session, owner))),
    "user": ("user_id", lambda _session, owner: owner.id),
    "alert": ("alert_id", lambda session, owner: _as_writer(owner, lambda: _alert(session, owner))),
    "watched": ("ticker", lambda session, owner: _as_writer(owner, lambda: _watched(session, owner))),
    "access_token": ("token_id", lambda session, owner: _access_token(session, owner)),
    "task": ("task_id", lambda session, owner: _task(session, owner)),
}

# Market data every cell can see: tickers known to the app (AAPL and MSFT with prices).
PRICED_TICKER, WATCH_TICKER, SPARE_TICKER = "AAPL", "WATCHME", "MSFT"


def seed_market(session, settings) -> None:
    from core.market.repository import upsert_ticker
    from core.market.service import load_bundled_prices

    load_bundled_prices(session, settings=settings, tickers=[PRICED_TICKER, SPARE_TICKER])
    upsert_ticker(session, WATCH_TICKER, name=WATCH_TICKER, sector=None, currency="USD", source="test")


def _as_writer(owner: User, make: Callable[[], Any]) -> Any:
    """Make a thing for `owner`; a viewer's is one made while an analyst (viewers cannot add)."""
    role = owner.role
    owner.role = Role.ANALYST
    try:
        return make()
    finally:
        owner.role = role


def _holding(session, owner: User) -> int:
    """A holding of a ticker of its own (one holding per ticker and owner), priced on one day."""
    from core.market.repository import upsert_prices, upsert_ticker

    symbol = "T" + uuid.uuid4().hex[:5].upper()
    upsert_ticker(session, symbol, name=symbol, sector=None, currency="USD", source="test")
    day = {"date": [dt.date(2016, 12, 30)], "open": [10.0], "high": [10.0], "low": [10.0], "close": [10.0]}
    upsert_prices(session, symbol, pd.DataFrame(day | {"volume": [0.0]}), source="test")
    return make_holding(session, owner=owner, ticker=symbol).id


def _activity(session, owner: User) -> int:
    """A cash deposit (an activity with no ticker), large enough to cover every buy of the cells."""
    from core.portfolio.activities import record_activity
    from core.portfolio.schemas import ActivityCreate

    data = ActivityCreate(date=dt.date(2016, 12, 30), type="deposit", amount=10_000_000.0)
    return record_activity(session, owner=owner, data=data).id


def _access_token(session, owner: User) -> int:
    from core.auth.access_token_schemas import AccessTokenCreate
    from core.auth.access_tokens import create_personal_token

    return create_personal_token(session, user=owner, data=AccessTokenCreate(name="matrix")).id


def _task(session, owner: User) -> int:
    from core.tasks.records import create_task

    return create_task(session, owner=owner, kind="portfolio.projection", message="Queued").id


def _alert(session, owner: User) -> int:
    from core.portfolio.alerts import create_alert
    from core.portfolio.schemas import PriceAlertCreate

    data = PriceAlertCreate(ticker=PRICED_TICKER, kind="above", threshold=1000.0)
    return create_alert(session, owner=owner, data=data).id


def _watched(session, owner: User) -> str:
    """The owner's watchlist entry for WATCH_TICKER (made once), named by its ticker."""
    from core.db.tables import WatchlistItem
    from core.portfolio.alerts import add_to_watchlist
    from core.portfolio.schemas import WatchlistItemCreate

    exists = session.scalar(
        select(WatchlistItem).where(WatchlistItem.owner_id == owner.id, WatchlistItem.ticker == WATCH_TICKER)
    )
    if exists is None:
        add_to_watchlist(session, owner=owner, data=WatchlistItemCreate(ticker=WATCH_TICKER))
    return WATCH_TICKER


_TRANSACTIONS_CSV = b"date,ticker,type,quantity,price,fee\n2016-12-30,AAPL,buy,1,100,0\n"
_PRICES_CSV = b"date,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,1000\n2024-01-03,10.5,11,10,10.8,900\n"


_DOCS = Rule("public")
RULES: dict[tuple[str, str], Rule] = {
    # --- docs and operations
    ("GET", "/openapi.json"): _DOCS,
    ("GET", "/docs"): _DOCS,
    ("GET", "/docs/oauth2-redirect"): _DOCS,
    ("GET", "/redoc"): _DOCS,
    ("GET", "/ping"): Rule("public"),
    ("GET", "/health"): Rule("public"),
    ("GET", "/metrics"): Rule("public"),
    # --- accounts
    ("POST", "/api/auth/token"): Rule(
        "public", form=lambda ctx: {"username": ctx.other.email, "password": DEFAULT_PASSWORD}
    ),
    ("GET", "/api/auth/me"): Rule("signed_in"),
    ("POST", "/api/users"): Rule(  # open sign-up (ALLOW_SIGNUP=true, the default)
        "public", json=lambda ctx: {"email": ctx.unique_email(), "password": "long-enough-1"}
    ),
    ("GET", "/api/users"): Rule("signed_in"),
    ("GET", "/api/users/{user_id}"): Rule("user_record", resource="user"),
    ("PUT", "/api/users/{user_id}"): Rule("user_record", resource="user", json={"full_name": "Renamed"}),
    ("DELETE", "/api/users/{user_id}"): Rule("user_record", resource="user"),
    # personal access tokens: everyone (viewers too) manages their own, nobody another's
    ("GET", "/api/users/me/tokens"): Rule("signed_in"),
    ("POST", "/api/users/me/tokens"): Rule("signed_in", json={"name": "matrix", "scopes": ["read"]}),
    ("DELETE", "/api/users/me/tokens/{token_id}"): Rule("owned", resource="access_token"),
    # --- holdings
    ("GET", "/api/portfolio"): Rule("signed_in"),
    ("GET", "/portfolio"): Rule("signed_in"),
    ("POST", "/api/portfolio/stock"): Rule("writer", json={"ticker": "MSFT", "quantity": 2, "avg_cost": 300.0}),
    ("GET", "/api/portfolio/stock/{stock_id}"): Rule("owned", resource="holding"),
    ("PUT", "/api/portfolio/stock/{stock_id}"): Rule("owned_write", resource="holding", json={"notes": "kept"}),
    ("DELETE", "/api/portfolio/stock/{stock_id}"): Rule("owned_write", resource="holding"),
    # --- jobs (an unknown job name: the admin passes the gate and hears "not found")
    ("GET", "/api/jobs"): Rule("signed_in"),
    ("GET", "/api/jobs/available"): Rule("signed_in"),
    ("POST", "/api/jobs/{name}/run"): Rule("admin", params={"name": "no-such-job"}, ok=frozenset({404})),
    # --- market data (shared) and the caller's watchlist and alerts
    ("GET", "/api/tickers"): Rule("signed_in"),
    ("GET", "/api/tickers/{ticker}"): Rule("signed_in", params={"ticker": PRICED_TICKER}),
    ("GET", "/api/prices/{ticker}"): Rule("signed_in", params={"ticker": PRICED_TICKER}),
    # any analyst may upload prices for a ticker nobody has (a fresh one per call); changing a
    # priced ticker's bars is an admin's (tests/security/test_shared_prices.py)
    ("POST", "/api/prices/import"): Rule(
        "writer",
        files={"file": ("p.csv", _PRICES_CSV, "text/csv")},
        form=lambda _ctx: {"ticker": f"UP{uuid.uuid4().hex[:8].upper()}"},
    ),
    ("GET", "/api/watchlist"): Rule("signed_in"),
    ("POST", "/api/watchlist"): Rule("writer", json={"ticker": SPARE_TICKER}),
    ("DELETE", "/api/watchlist/{ticker}"): Rule("owned_write", resource="watched"),
    ("GET", "/api/alerts"): Rule("signed_in"),
    ("POST", "/api/alerts"): Rule("writer", json={"ticker": PRICED_TICKER, "kind": "below", "threshold": 50.0}),
    ("DELETE", "/api/alerts/{alert_id}"): Rule("owned_write", resource="alert"),
    # --- the caller's ledger and analytics
    ("GET", "/api/portfolio/summary"): Rule("signed_in"),
    ("GET", "/api/portfolio/performance"): Rule("signed_in"),
    ("GET", "/api/portfolio/returns-by-year"): Rule("signed_in"),
    ("GET", "/api/portfolio/projection"): Rule("signed_in", ok=frozenset({200, 422})),
    # long requests as tasks (202), followed at /api/tasks/{id}: the owner's only
    ("POST", "/api/portfolio/projection/tasks"): Rule("signed_in"),
    ("GET", "/api/tasks/{task_id}"): Rule("owned", resource="task"),
    ("GET", "/api/portfolio/transactions"): Rule("signed_in"),
    ("GET", "/api/portfolio/transactions/{activity_id:int}"): Rule("owned", resource="activity"),
    ("PUT", "/api/portfolio/transactions/{activity_id:int}"): Rule(
        "owned_write", resource="activity", json={"amount": 20_000_000.0}
    ),
    ("DELETE", "/api/portfolio/transactions/{activity_id:int}"): Rule("owned_write", resource="activity"),
    ("GET", "/api/portfolio/cash"): Rule("signed_in"),
    ("GET", "/api/portfolio/closed"): Rule("signed_in"),
    ("GET", "/api/portfolio/income"): Rule("signed_in"),
    ("POST", "/api/portfolio/transactions"): Rule(
        "writer", json={"date": "2016-12-30", "ticker": PRICED_TICKER, "type": "buy", "quantity": 1, "price": 100}
    ),
    ("GET", "/api/portfolio/transactions/export"): Rule("signed_in"),
    ("POST", "/api/portfolio/transactions/import"): Rule(
        "writer", files={"file": ("t.csv", _TRANSACTIONS_CSV, "text/csv")}
    ),
    ("POST", "/api/portfolio/transactions/import/tasks"): Rule(
        "writer", files={"file": ("t.csv", _TRANSACTIONS_CSV, "text/csv")}
    ),
    ("GET", "/api/portfolio/import-mappings"): Rule("signed_in"),
    ("PUT", "/api/portfolio/import-mappings/{name}"): Rule(
        "writer", params={"name": "broker"}, json={"Trade Date": "date", "Symbol": "ticker"}
    ),
    # --- forecasts (an unknown ticker: the gate is passed, nothing is trained) and chat
    ("GET", "/api/forecast/accuracy"): Rule("signed_in"),
    ("GET", "/api/forecast/{ticker}"): Rule("signed_in", params={"ticker": "NOSUCH"}, ok=frozenset({404})),
    ("GET", "/api/forecast/{ticker}/skill"): Rule("signed_in", params={"ticker": "NOSUCH"}, ok=frozenset({404})),
    ("GET", "/api/chat"): Rule("signed_in"),
    # an empty question: refused by the service after the gate, before any model is loaded
    ("POST", "/api/chat"): Rule("signed_in", json={"message": ""}, ok=frozenset({422})),
}

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def app_endpoints() -> set[tuple[str, str]]:
    """(method, path template) of every route the app serves, included routers flattened."""
    app = create_app(get_settings())
    return {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if route.path is not None
        for method in (route.methods or ())
        if method not in SKIPPED_METHODS
    }


def test_every_route_is_classified():
    missing = sorted(app_endpoints() - RULES.keys(), key=lambda item: (item[1], item[0]))
    assert not missing, (
        "routes without an authorisation rule; add a line per route to RULES in "
        "tests/security/test_authorization_matrix.py, e.g.\n"
        + "\n".join(f'    ("{method}", "{path}"): Rule("signed_in"),' for method, path in missing)
        + f"\n(policies: {', '.join(POLICIES)})"
    )


def _resolve(body: Body | None, ctx: Context) -> dict[str, Any] | None:
    return body(ctx) if callable(body) else body


def _expected(rule: Rule, role: str, ownership: str) -> frozenset[int]:
    own, other = POLICIES[rule.policy][role]
    outcome = own if ownership == "own" or rule.resource is None else other
    return rule.ok if outcome == OK else frozenset({int(outcome)})


async def _alive(api, users: dict[str, Person]) -> dict[str, Person]:
    """Re-make users a cell deleted (DELETE /api/users/{id}), so later cells have callers."""
    ids = set(await api.run(lambda s: list(s.scalars(select(User.id)))))
    for name, user in list(users.items()):
        if user.id not in ids:
            users[name] = await make_person(api, user.role)
    return users


async def _call(api, settings, rule: Rule, method: str, path: str, role: str, ownership: str, users) -> int:
    caller = users.get(role)
    ctx = Context(caller=caller, other=users["other"])
    params = dict(rule.params)
    if rule.resource is not None:
        name, factory = RESOURCES[rule.resource]
        owner = caller if ownership == "own" and caller is not None else users["other"]
        params[name] = await api.run(lambda s: factory(s, s.get(User, owner.id)))
    headers = bearer(settings, caller) if caller is not None else {}
    response = await api.client.request(
        method,
        re.sub(r"\{(\w+):\w+\}", r"{\1}", path).format(**params),  # {id:int} → {id}
        headers=headers,
        params=rule.query,
        json=_resolve(rule.json, ctx),
        data=_resolve(rule.form, ctx),
        files=rule.files,
    )
    return response.status_code


async def test_route_role_owner_matrix(api, settings, users):
    change_settings(api, rate_limit_enabled=False)  # the matrix calls login and sign-up many times
    await api.run(seed_market, settings=settings)
    present = app_endpoints()
    mismatches: list[str] = []
    cells = 0
    for (method, path), rule in sorted(RULES.items(), key=lambda item: (item[0][1], item[0][0])):
        if (method, path) not in present:
            continue  # reported (or not yet merged); test_every_route_is_classified covers the reverse
        for ownership in ("other", "own") if rule.resource else ("own",):
            for role in ROLES:
                users = await _alive(api, users)
                status = await _call(api, settings, rule, method, path, role, ownership, users)
                cells += 1
                expected = _expected(rule, role, ownership)
                if status not in expected:
                    mismatches.append(
                        f"{method} {path} as {role} on {ownership if rule.resource else 'n/a'}: "
                        f"expected {sorted(expected)}, got {status} (policy {rule.policy})"
                    )
    assert cells > 0
    assert not mismatches, "authorisation matrix mismatches:\n" + "\n".join(mismatches)
