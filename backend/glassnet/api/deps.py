"""FastAPI dependencies: the settings and the run manager, as stored on the app at startup."""

from typing import Annotated

from fastapi import Depends, Request

from glassnet.runs.hub import Hub
from glassnet.runs.manager import RunManager
from glassnet.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_manager(request: Request) -> RunManager:
    return request.app.state.manager


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[RunManager, Depends(get_manager)]
