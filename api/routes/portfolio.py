from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentUser, RunDep, SettingsDep
from core.portfolio.holdings import add_holding, delete_holding, get_holding, list_holdings, update_holding
from core.portfolio.pricing import live_provider
from core.portfolio.schemas import StockCreate, StockPage, StockRead, StockUpdate

router = APIRouter(prefix="/api/portfolio", tags=["portfolio"])


@router.get("", response_model=StockPage)
async def read_portfolio(
    run: RunDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> StockPage:
    """The caller's holdings, paginated, with the total count."""
    rows, total = await run(list_holdings, user=user, limit=limit, offset=offset)
    return StockPage(items=[StockRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("/stock", response_model=StockRead, status_code=status.HTTP_201_CREATED)
async def create_stock(data: StockCreate, run: RunDep, settings: SettingsDep, user: CurrentUser) -> StockRead:
    """Add a holding: a buy dated `opened_at` or, by default, the ticker's last stored price date."""
    stock = await run(add_holding, user=user, data=data, provider=live_provider(settings))
    return StockRead.model_validate(stock)


@router.get("/stock/{stock_id}", response_model=StockRead)
async def read_stock(stock_id: int, run: RunDep, user: CurrentUser) -> StockRead:
    return StockRead.model_validate(await run(get_holding, user=user, stock_id=stock_id))


@router.put("/stock/{stock_id}", response_model=StockRead)
async def change_stock(stock_id: int, data: StockUpdate, run: RunDep, user: CurrentUser) -> StockRead:
    stock = await run(update_holding, user=user, stock_id=stock_id, data=data)
    return StockRead.model_validate(stock)


@router.delete("/stock/{stock_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_stock(stock_id: int, run: RunDep, user: CurrentUser) -> None:
    await run(delete_holding, user=user, stock_id=stock_id)


# Kept for early integrations: GET /portfolio is the same as GET /api/portfolio.
legacy_router = APIRouter(tags=["portfolio"], include_in_schema=False)
legacy_router.add_api_route("/portfolio", read_portfolio, methods=["GET"], response_model=StockPage)
