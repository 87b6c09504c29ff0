"""Registers the PDM-Lite-style expert and its IDM planner with the LEAD framework."""

from lead_framework import hookimpl


def _build_expert(config):
    from lead_expert_pdm.expert import PdmExpert

    return PdmExpert(config)


def _build_idm(config):
    from lead_expert_pdm.idm import IdmPlanner

    return IdmPlanner(config)


@hookimpl
def lead_register_agents(register):
    from lead_expert_pdm.expert import PdmExpertConfig

    register("pdm_expert", _build_expert, config=PdmExpertConfig,
             description="PDM-Lite-style privileged expert: IDM over forecast hazards, PID control")


@hookimpl
def lead_register_planners(register):
    from lead_expert_pdm.idm import IdmConstants

    register("pdm_idm", _build_idm, config=IdmConstants,
             description="PDM-Lite's IDM target speed over hazards (a=24 per frame, b=3.72/8.7, delta=4)")
