"""Components the core provides itself, registered like any plugin's (plugin name ``core``)."""

from lead_framework.evaluation import EvaluateConfig, EvaluateStage
from lead_framework.hookspecs import hookimpl


@hookimpl
def lead_register_stages(register):
    register("evaluate", EvaluateStage, config=EvaluateConfig, description="Drive a benchmark's routes closed loop and score them (Leaderboard 2.0)")
