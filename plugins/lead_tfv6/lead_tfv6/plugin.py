"""Registers TransFuser v6 components with the LEAD framework."""

from lead_framework import hookimpl
from lead_tfv6.config import (
    NAMED_BACKBONES,
    BackboneConfig,
    PlanningDecoderConfig,
    TimmBackboneConfig,
)


def _build_timm_backbone(config: TimmBackboneConfig):
    """Any timm model by name (features_only, runnable stage by stage)."""
    from lead_tfv6.backbones import create_backbone

    return create_backbone(config.model, config.in_chans, config.out_indices, config.weights_path)


def _named_backbone(name: str):
    def build(config: BackboneConfig):
        from lead_tfv6.backbones import create_backbone

        return create_backbone(name, config.in_chans, config.out_indices, config.weights_path)

    return build


def _build_planning_decoder(config: PlanningDecoderConfig):
    from lead_tfv6.planning import PlanningDecoder

    return PlanningDecoder(config.bev_channels, config.model)


@hookimpl
def lead_register_backbones(register):
    register("timm", _build_timm_backbone, config=TimmBackboneConfig,
             description="Any timm model by name with features_only=True, runnable stage by stage")
    for name, description in NAMED_BACKBONES.items():
        register(name, _named_backbone(name), config=BackboneConfig, description=description)


@hookimpl
def lead_register_planners(register):
    register("tfv6_planning_decoder", _build_planning_decoder, config=PlanningDecoderConfig,
             description="TFv6 transformer decoder: route, waypoints and target speed from BEV and status tokens")


@hookimpl
def lead_register_stages(register):
    from lead_tfv6.training.config import TrainConfig
    from lead_tfv6.training.stage import TrainStage

    register("train", TrainStage, config=TrainConfig,
             description="Train TFv6 on shard data (pretrain / posttrain), with exact resume, DDP and TensorBoard")


def _build_tfv6_agent(config):
    from lead_tfv6.agent.agent import (
        TFv6Agent,  # torch-heavy: imported when an agent is built
    )

    return TFv6Agent(config)


@hookimpl
def lead_register_agents(register):
    from lead_tfv6.agent.config import TFv6AgentConfig

    register("tfv6", _build_tfv6_agent, config=TFv6AgentConfig,
             description="TransFuser v6 sensor agent: trained model(s) or a seed ensemble, PID control, 20 Hz",
             # bump whenever the same config drives differently; 1: creeping counts slow rolling as stuck
             revision=1)
