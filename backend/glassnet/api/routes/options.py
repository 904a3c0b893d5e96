from fastapi import APIRouter

from glassnet.api.deps import ManagerDep
from glassnet.api.schemas import Options
from glassnet.config import FORKABLE, LIMITS, default_config
from glassnet.demos import DEMOS
from glassnet.protocol import MetricOut, metric_list
from glassnet.registry import CHOICES

router = APIRouter(tags=["options"])


@router.get("/options", response_model=Options, summary="Every choice, parameter, limit and default the UI offers")
def options(manager: ManagerDep) -> dict:
    lists = {name: [choice.to_json(name) for choice in choices] for name, choices in CHOICES.items()}
    demos = [demo.to_json() for demo in DEMOS]
    settings = manager.settings
    server = {
        "max_runs": settings.max_runs,
        "max_runs_per_owner": settings.max_runs_per_owner,
        "max_sweep": settings.max_sweep,
    }
    return {
        **lists,
        "limits": LIMITS,
        "server": server,
        "defaults": default_config(),
        "forkable": list(FORKABLE),
        "demos": demos,
    }


@router.get(
    "/metrics",
    response_model=list[MetricOut],
    summary="Every metric the probe measures: its name, scope, cadence, unit, label and meaning (the UI's legends)",
)
def metrics() -> list[dict]:
    return metric_list()
