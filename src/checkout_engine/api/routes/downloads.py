"""`GET /v1/downloads/{grant_token}`: a digital product's licence while its entitlement is active."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from checkout_engine.api.answers import EVERY, errors
from checkout_engine.api.deps import Uow
from checkout_engine.api.params import GrantToken
from checkout_engine.fulfillment.service import download

router = APIRouter(tags=["downloads"])


@router.get("/v1/downloads/{grant_token}", responses=errors(*EVERY, 404, codes={404: ["download_not_found"]}))
def get_download(grant_token: GrantToken, uow: Uow) -> dict[str, Any]:
    licence = download(uow, grant_token)
    uow.commit()
    return licence
