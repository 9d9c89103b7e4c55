"""The team read API and dashboard (operator only):

    GET /v1/team/daily?since=YYYY-MM-DD&until=YYYY-MM-DD[&team=ORG]   ccusage's daily shape over every
    GET /v1/team/weekly?...   GET /v1/team/monthly?...                device of the team (team.py)
    GET /team?since&until&team                                        the same as an HTML page (team_page.py)

A team is a license's `org` (a license without one is its own team). Without `team`, the answer covers
every upload this aggregator holds (an aggregator serving one organisation needs no parameter); `teams`
lists those present. The operator token is required, as `Authorization: Bearer <token>` or, so a browser
can open the page through its own login prompt, HTTP Basic with the token as password; wrong tokens are
counted per client like every operator route. With no operator token configured the team view is off (403).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from ccp_assets.aggregator.auth import Denied, OperatorGate
from ccp_assets.aggregator.config import AggregatorConfig
from ccp_assets.aggregator.ops_routes import _day
from ccp_assets.aggregator.storage import Storage
from ccp_assets.aggregator.team import GRAINS, team_report
from ccp_assets.licensing.pack import is_org

REALM = 'Basic realm="ccp team view", charset="UTF-8"'
RESPONSES: dict[int | str, dict[str, Any]] = {
    "401": {"description": "operator token missing or wrong (counted per client)"},
    "403": {"description": "the team view is off: no operator token configured"},
    "429": {"description": "too many wrong operator tokens from this client; see Retry-After"},
}


def _bearer(authorization: str | None) -> str | None:
    """`Basic base64(user:token)` as `Bearer token` (any user name); anything else unchanged."""
    if not authorization or not authorization.startswith("Basic "):
        return authorization
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "Bearer "
    return "Bearer " + decoded.split(":", 1)[-1]


def team_router(
    store: Storage, config: AggregatorConfig, operator: OperatorGate, client: Callable[[Request], str]
) -> APIRouter:
    router = APIRouter()

    def admit(request: Request, authorization: str | None, *, page: bool = False) -> None:
        if config.operator_token is None:
            raise Denied(
                403, "the team view is off (no operator token configured: CCP_AGGREGATOR_OPERATOR_TOKEN)"
            )
        if not operator.check(_bearer(authorization), client(request)):
            raise Denied(401, "operator token missing or wrong", www_authenticate=REALM if page else None)

    async def report(grain: str, since: str | None, until: str | None, team: str | None) -> dict[str, Any]:
        lo, hi = _day(since, "since"), _day(until, "until")
        if lo and hi and lo > hi:
            raise Denied(400, "since is after until")
        if team is not None and not is_org(team) and "/" not in team:
            raise Denied(400, "team must be a license org (1-64 of A-Z a-z 0-9 . _ -) or a license scope")
        usage = await run_in_threadpool(store.team_usage, team, lo, hi)
        teams = await run_in_threadpool(store.teams)
        return {"team": team, "teams": teams, "since": lo, "until": hi, **team_report(usage, grain)}

    def route(grain: str) -> None:
        @router.get(f"/v1/team/{grain}", tags=["team"], responses=RESPONSES, name=f"team_{grain}")
        async def team_view(
            request: Request,
            since: str | None = None,
            until: str | None = None,
            team: str | None = None,
            authorization: Annotated[str | None, Header()] = None,
        ) -> Any:
            """Operator: ccusage's report shape summed over every device of the team (see the module docstring)."""
            admit(request, authorization)
            return await report(grain, since, until, team)

    for grain in GRAINS:
        route(grain)

    @router.get("/team", tags=["team"], responses=RESPONSES, response_class=HTMLResponse)
    async def team_page(
        request: Request,
        since: str | None = None,
        until: str | None = None,
        team: str | None = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> HTMLResponse:
        """Operator: the team dashboard, rendered on the server (inline SVG, no script, no CDN)."""
        from ccp_assets.aggregator.team_page import render

        admit(request, authorization, page=True)
        daily = await report("daily", since, until, team)
        return HTMLResponse(render(daily), headers={"Cache-Control": "no-store"})

    return router
