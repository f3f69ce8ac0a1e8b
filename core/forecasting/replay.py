"""Replay: walk forward over the stored history as if the app had been live then.

Origins are the last session of each calendar week whose `horizon` following sessions are
stored, over the last `months` calendar months that have such origins. At each origin the
replay makes the forecast the app would have made that day from the closes up to the origin
only: the model is fitted at the first origin of each block of `refit_months` calendar months
(default: a quarterly retrain), and at the block's other origins that fit is conditioned on the newer
closes with `Forecaster.update` (parameters kept), as a champion is served between retrains.
Each origin starts again from the block's fit, so a forecast depends on nothing but its
block's fitting date and the closes up to its own origin.

`replay_ticker` stores the forecasts (the model's and, for the ensemble, each member's) in
PredictionHistory with `replayed=True`, no user, and model version `ReplayConfig.version`;
`update_realised` scores them. Origins already replayed with the same configuration are
skipped, and a block with nothing left to replay is not fitted, so replaying again after a
price refresh only adds the new weeks. The default is the champion's configuration: the
ensemble with its default members and parameters (as `python -m core train` registers it),
refitted quarterly: 5 fits per ticker for 13 months of weekly origins. `members` narrows it
(tests use the cheap baselines).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.session import ShortUnits
from core.db.tables import PredictionHistory
from core.errors import CoreError, InvalidInputError
from core.forecasting.serving import ForecastResult, load_closes, member_forecasts, record_forecast
from models.catalog import forecaster_factory, get_forecaster_class
from models.ensemble import EnsembleForecaster
from models.errors import ForecastError
from models.walk_forward import walk_forward

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
REPLAY_PREFIX = "replay-"


@dataclass(frozen=True)
class ReplayConfig:
    model: str = "ensemble"
    members: tuple[str, ...] = ()  # the ensemble's members; () = its defaults, as the champion
    horizon: int = 5
    months: int = 13
    refit_months: int = 3

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.months < 1 or self.refit_months < 1:
            raise InvalidInputError("replay horizon, months and refit months must be positive")

    @property
    def params(self) -> dict:
        return {"members": list(self.members)} if self.model == "ensemble" and self.members else {}

    @property
    def member_names(self) -> tuple[str, ...]:
        """The ensemble's members as replayed (its defaults when `members` is empty)."""
        if self.model != "ensemble":
            return ()
        return self.members or tuple(EnsembleForecaster.default_params["members"])

    @property
    def version(self) -> str:
        """The model version its forecasts are stored under: same configuration, same version."""
        plan = [self.model, self.params, self.horizon, self.refit_months]
        return REPLAY_PREFIX + hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()[:8]

    @property
    def versions(self) -> list[str]:
        """The stored versions of its forecasts: the model's, and its members' (`ensemble:<version>`)."""
        return [self.version, f"{self.model}:{self.version}"[:64]]


@dataclass(frozen=True)
class ReplayedForecast:
    origin: pd.Timestamp
    fitted_at: pd.Timestamp  # the origin of the block's fit
    frame: pd.DataFrame  # date, mean, lo80, hi80, lo95, hi95
    members: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class TickerReplay:
    ticker: str
    origins: int  # in the replay window
    replayed: int  # made by this run (the others were stored already)
    rows: int  # PredictionHistory rows added
    first_origin: str | None
    last_origin: str | None


def replay_origins(closes: pd.Series, config: ReplayConfig) -> list[pd.Timestamp]:
    """The weekly origins of the replay window (see the module docstring)."""
    dates = pd.DatetimeIndex(closes.index)
    if len(dates) <= config.horizon:
        return []
    # The last stored session of each week; a week is complete once later sessions exist.
    last_of_week = pd.Series(dates, index=dates).groupby(dates.to_period("W-FRI")).max()
    latest_origin = dates[len(dates) - 1 - config.horizon]
    origins = [day for day in last_of_week if day <= latest_origin]
    if not origins:
        return []
    first_month = origins[-1].to_period("M") - (config.months - 1)
    return [day for day in origins if day.to_period("M") >= first_month]


def refit_blocks(origins: Sequence[pd.Timestamp], refit_months: int) -> list[list[pd.Timestamp]]:
    """Origins grouped by calendar block of `refit_months` months (anchored, so stable as data grows)."""
    blocks: dict[int, list[pd.Timestamp]] = {}
    for origin in origins:
        blocks.setdefault((origin.year * 12 + origin.month - 1) // refit_months, []).append(origin)
    return [blocks[key] for key in sorted(blocks)]


def replay_series(
    closes: pd.Series,
    config: ReplayConfig,
    *,
    skip: Iterable[pd.Timestamp] = (),
    progress: ProgressCallback | None = None,
) -> list[ReplayedForecast]:
    """The replayed forecasts of one series of closes, origins in `skip` left out.

    Each block runs through the walk-forward engine (`models.walk_forward`): fitted at the
    block's first origin, updated at the others. Raises `models.errors.ForecastError` (e.g.
    too little history at the first origin).
    """
    origins = replay_origins(closes, config)
    skipped = {pd.Timestamp(day) for day in skip}
    factory = forecaster_factory(config.model, **config.params)
    made: list[ReplayedForecast] = []
    done = 0
    for block in refit_blocks(origins, config.refit_months):
        wanted = [origin for origin in block if origin not in skipped]
        if wanted:
            # The block's first origin is where its model is fitted, even when already replayed.
            dates = list(dict.fromkeys([block[0], *wanted]))
            walked = walk_forward(
                closes,
                factory,
                [closes.index.get_loc(day) for day in dates],
                config.horizon,
                refit=False,
                observe=member_forecasts,
                failures=(),
            )
            made += [
                ReplayedForecast(
                    origin=forecast.origin_date,
                    fitted_at=block[0],
                    frame=forecast.frame,
                    members=forecast.observed,
                )
                for forecast in walked
                if forecast.origin_date in wanted
            ]
        done += len(block)
        if progress:
            progress(done, len(origins))
    return made


def replayed_origins(session: Session, *, ticker: str, config: ReplayConfig) -> set[pd.Timestamp]:
    """Origins of `ticker` already replayed with `config`."""
    query = (
        select(PredictionHistory.origin_date)
        .where(
            PredictionHistory.ticker == ticker,
            PredictionHistory.model == config.model,
            PredictionHistory.model_version == config.version,
            PredictionHistory.replayed.is_(True),
        )
        .distinct()
    )
    return {pd.Timestamp(day) for day in session.scalars(query)}


@dataclass(frozen=True)
class _Computed:
    ticker: str
    closes: pd.Series
    origins: list[pd.Timestamp]
    made: list[ReplayedForecast]


def _compute(session: Session, ticker: str, config: ReplayConfig, progress: ProgressCallback | None) -> _Computed:
    """The forecasts of `ticker` still to replay. Reads only: the fits hold no database lock."""
    closes, skip = _inputs(session, ticker, config)
    return _replay_inputs(ticker, closes, skip, config, progress)


def _inputs(session: Session, ticker: str, config: ReplayConfig) -> tuple[pd.Series, set[pd.Timestamp]]:
    """What a ticker's replay reads: its closes and the origins already replayed."""

    try:
        get_forecaster_class(config.model)
    except ForecastError as exc:
        raise InvalidInputError(str(exc)) from exc
    _prices, closes = load_closes(session, ticker)
    return closes, replayed_origins(session, ticker=ticker, config=config)


def _replay_inputs(
    ticker: str, closes: pd.Series, skip: set[pd.Timestamp], config: ReplayConfig, progress: ProgressCallback | None
) -> _Computed:
    try:
        made = replay_series(closes, config, skip=skip, progress=progress)
    except ForecastError as exc:
        raise InvalidInputError(f"{ticker} could not be replayed with {config.model}: {exc}") from exc
    return _Computed(ticker, closes, replay_origins(closes, config), made)


def _store(session: Session, computed: _Computed, config: ReplayConfig) -> TickerReplay:
    rows = 0
    for forecast in computed.made:
        result = ForecastResult(
            ticker=computed.ticker,
            model=config.model,
            model_version=config.version,
            source="trained",
            frame=forecast.frame,
            history=computed.closes.loc[: forecast.origin].to_frame(),
            members=forecast.members,
        )
        rows += record_forecast(session, result, replayed=True)
    origins = computed.origins
    logger.info(
        "replayed",
        extra={"ticker": computed.ticker, "origins": len(origins), "replayed": len(computed.made), "rows": rows},
    )
    return TickerReplay(
        ticker=computed.ticker,
        origins=len(origins),
        replayed=len(computed.made),
        rows=rows,
        first_origin=str(origins[0].date()) if origins else None,
        last_origin=str(origins[-1].date()) if origins else None,
    )


def replay_ticker(
    session: Session, *, ticker: str, config: ReplayConfig | None = None, progress: ProgressCallback | None = None
) -> TickerReplay:
    """Replay `ticker` over its stored closes and store the forecasts not stored yet."""
    config = config or ReplayConfig()
    return _store(session, _compute(session, ticker.strip().upper(), config, progress), config)


@dataclass
class ReplayReport:
    config: ReplayConfig
    tickers: list[TickerReplay] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(item.rows for item in self.tickers)


def replay_tickers(
    units: ShortUnits,
    *,
    tickers: Sequence[str],
    config: ReplayConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    on_ticker: Callable[[TickerReplay], object] | None = None,
) -> ReplayReport:
    """Replay each ticker (one ticker's failure, too short or unknown, is listed, not raised):
    per ticker, read in one short unit, fit outside any transaction, store in another; a
    concurrent writer never waits on the fits and never kills them. An interrupted run loses
    at most the ticker in flight: origins already stored are skipped next time."""
    config = config or ReplayConfig()
    report = ReplayReport(config=config)
    for ticker in (name.strip().upper() for name in tickers):

        def step(done: int, total: int, ticker: str = ticker) -> None:
            if progress:
                progress(ticker, done, total)

        try:
            with units.read() as session:
                closes, replayed = _inputs(session, ticker, config)
            computed = _replay_inputs(ticker, closes, replayed, config, step)
        except CoreError as exc:
            logger.warning("replay failed", extra={"ticker": ticker, "error": exc.message})
            report.errors[ticker] = exc.message
            continue
        item = units.write(lambda session, computed=computed: _store(session, computed, config))
        report.tickers.append(item)
        if on_ticker is not None:
            on_ticker(item)
    return report
