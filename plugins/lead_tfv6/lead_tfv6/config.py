"""``TFv6Config``: every architecture, input and loss setting of the TransFuser v6 model.

The same class is the YAML section of the train stage, so field names are part of the experiment
file format. Derived quantities (raster sizes, fusion anchors) are properties, never fields, so an
experiment cannot set them inconsistently.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from lead_framework.suggestions import close_names, did_you_mean

PHASES = ("pretrain", "posttrain")

#: Backbones registered by name (the presets use them); any other timm name works too.
NAMED_BACKBONES: dict[str, str] = {
    "resnet34": "ResNet-34, the paper's image and LiDAR backbone",
    "regnety_032": "RegNetY-3.2GF, the larger paper model's backbone",
    "resnet18": "ResNet-18, a lighter ResNet",
    "regnetx_002": "RegNetX-200MF, the tiny preset's fast CPU backbone",
}

#: Target-speed classes in m/s (LEAD's CARLA values: 0, 4, 8, 10, 50 km/h, 16, 64 km/h, 20).
TARGET_SPEED_CLASSES: tuple[float, ...] = (0.0, 4.0, 8.0, 10.0, 13.88888888, 16.0, 17.77777777, 20.0)

#: Default loss weights (all 1 except depth), normalised to sum 1 over the active parts.
DEFAULT_LOSS_WEIGHTS: dict[str, float] = {
    "semantics": 1.0,
    "depth": 1e-5,
    "bev_semantics": 1.0,
    "center_heatmap": 1.0,
    "center_wh": 1.0,
    "center_offset": 1.0,
    "center_yaw_class": 1.0,
    "center_yaw_res": 1.0,
    "center_velocity": 1.0,
    "radar": 1.0,
    "waypoints": 1.0,
    "target_speed": 1.0,
    "route": 1.0,
    "light_state": 1.0,
    "stop_sign": 1.0,
}

#: ``meta.json`` fields a route label can come from (see ``TFv6Config.route_label``).
ROUTE_LABELS = ("route", "route_original")
#: Loss parts that only exist when the planning decoder is on.
PLANNING_LOSSES = ("waypoints", "target_speed", "route")
#: Loss parts of optional heads -> the ``TFv6Config`` flag that turns the head on.
OPTIONAL_HEAD_LOSSES = {"light_state": "light_state_head", "stop_sign": "stop_sign_head"}


class TFv6ConfigError(ValueError):
    """A TFv6 setting that is unknown, inconsistent or out of range."""


class UnknownOverrideError(TFv6ConfigError, KeyError):
    """An override names a field that ``TFv6Config`` does not have."""

    def __init__(self, name: str, known: list[str]):
        hint = did_you_mean(close_names(name, known), f"fields: {', '.join(sorted(known))}")
        self.name = name
        super().__init__(f"TFv6Config has no field {name!r}; {hint}")

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return self.args[0]


def _positive(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if value <= 0:
        raise TFv6ConfigError(f"TFv6Config.{attribute.name} must be > 0, got {value!r}")


def _probability(instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise TFv6ConfigError(f"TFv6Config.{attribute.name} must be in [0, 1), got {value!r}")


def _route_label(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if value not in ROUTE_LABELS:
        raise TFv6ConfigError(f"TFv6Config.route_label must be one of {', '.join(ROUTE_LABELS)}, got {value!r}")


def _scenario_names(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, str) or not all(isinstance(name, str) and name for name in value):
        raise TFv6ConfigError(f"TFv6Config.{attribute.name} must be a list of scenario type names, "
                              f"e.g. [Accident, ParkedObstacle]; got {value!r}")


def _phase(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if value not in PHASES:
        raise TFv6ConfigError(f"TFv6Config.phase must be one of {PHASES}, got {value!r}")


def _loss_weights(instance: Any, attribute: attrs.Attribute, value: dict[str, float]) -> None:
    unknown = sorted(set(value) - set(DEFAULT_LOSS_WEIGHTS))
    if unknown:
        raise TFv6ConfigError(
            f"TFv6Config.loss_weights has unknown part(s) {unknown}; parts: {', '.join(DEFAULT_LOSS_WEIGHTS)}"
        )
    negative = {k: v for k, v in value.items() if v < 0}
    if negative:
        raise TFv6ConfigError(f"TFv6Config.loss_weights must be >= 0, got {negative}")


def _complete_loss_weights(value: dict[str, float] | None) -> dict[str, float]:
    return {**DEFAULT_LOSS_WEIGHTS, **(value or {})}


@attrs.define(frozen=True)
class TFv6Config:
    """TransFuser v6 settings; defaults are the paper model (ResNet34, full resolution)."""

    phase: str = attrs.field(default="posttrain", validator=_phase)

    # -- backbones (any timm model that timm wraps as a feature list) --
    image_backbone: str = "resnet34"
    lidar_backbone: str = "resnet34"
    image_weights_path: str | None = None  # local state dict for the image backbone; never downloaded
    lidar_weights_path: str | None = None

    # -- camera input: the three cameras stitched side by side --
    image_height: int = attrs.field(default=384, validator=_positive)
    image_width: int = attrs.field(default=1152, validator=_positive)
    camera_yaws_deg: tuple[float, ...] = (-54.5, 0.0, 54.5)
    camera_fov_deg: float = attrs.field(default=60.0, validator=_positive)

    # -- LiDAR BEV histogram (ego frame: x forward, y right, metres) --
    min_x: float = -32.0
    max_x: float = 64.0
    min_y: float = -40.0
    max_y: float = 40.0
    min_z: float = -4.0
    max_z: float = 10.0
    pixels_per_meter: float = attrs.field(default=4.0, validator=_positive)
    hist_max_per_pixel: int = attrs.field(default=5, validator=_positive)

    # -- fusion transformers (one after each of the 4 backbone stages) --
    fusion_layers: int = attrs.field(default=2, validator=_positive)
    fusion_heads: int = attrs.field(default=4, validator=_positive)
    fusion_mlp_ratio: int = attrs.field(default=4, validator=_positive)
    fusion_dropout: float = attrs.field(default=0.1, validator=_probability)
    anchor_stride: int = attrs.field(default=32, validator=_positive)  # input pixels per fusion anchor

    # -- dense heads --
    bev_channels: int = attrs.field(default=64, validator=_positive)
    bev_output_stride: int = attrs.field(default=4, validator=_positive)  # BEV head grid vs LiDAR raster
    perspective_channels: tuple[int, int, int] = (128, 64, 32)
    perspective_output_stride: int = attrs.field(default=1, validator=_positive)  # 1 = full image resolution
    num_semantic_classes: int = attrs.field(default=10, validator=_positive)
    num_bev_classes: int = attrs.field(default=13, validator=_positive)
    depth_max_m: float = attrs.field(default=50.0, validator=_positive)

    # -- CenterNet boxes --
    num_box_classes: int = attrs.field(default=8, validator=_positive)
    num_yaw_bins: int = attrs.field(default=12, validator=_positive)
    max_boxes: int = attrs.field(default=90, validator=_positive)
    predict_box_velocity: bool = True

    # -- radar detector --
    num_radar_sensors: int = attrs.field(default=4, validator=_positive)
    num_radar_points: int = attrs.field(default=300, validator=_positive)
    num_radar_queries: int = attrs.field(default=20, validator=_positive)
    radar_token_dim: int = attrs.field(default=256, validator=_positive)
    radar_layers: int = attrs.field(default=4, validator=_positive)
    radar_heads: int = attrs.field(default=8, validator=_positive)
    radar_ff_dim: int = attrs.field(default=1024, validator=_positive)
    radar_hidden_dim: int = attrs.field(default=1024, validator=_positive)  # tokenizer and state MLPs
    radar_dropout: float = attrs.field(default=0.1, validator=_probability)
    radar_regression_weight: float = 5.0
    radar_classification_weight: float = 1.0
    max_speed: float = attrs.field(default=25.0, validator=_positive)  # m/s, normalises speeds

    # -- planning decoder (posttrain only) --
    transfuser_token_dim: int = attrs.field(default=256, validator=_positive)
    planner_layers: int = attrs.field(default=6, validator=_positive)
    planner_heads: int = attrs.field(default=8, validator=_positive)
    planner_ff_dim: int = attrs.field(default=2048, validator=_positive)
    planner_dropout: float = attrs.field(default=0.1, validator=_probability)
    num_route_points: int = attrs.field(default=10, validator=_positive)
    num_waypoints: int = attrs.field(default=8, validator=_positive)
    num_commands: int = attrs.field(default=6, validator=_positive)
    target_point_scale: tuple[float, float] = (200.0, 50.0)
    #: also add an embedding of speed, command and target points to every planning query (off in
    #: LEAD, whose queries see them only through attention to the status tokens): a direct path
    #: that a short training learns to use, where attention to five tokens among the BEV's is slow
    planner_status_queries: bool = False
    #: with ``planner_status_queries``, also give that MLP the ego's signed lateral offset from, and
    #: heading to, the line through the previous and current target points (see
    #: ``planning.target_line_status``). The flat embedded world shows the lane's edges only as
    #: painted lines in a small image, so a CPU-sized model under-reads a sideways drift; the
    #: target points hold it exactly on straight streets
    planner_target_line_status: bool = False
    #: the ``meta.json`` field the route head learns: ``route``, the path the expert drove (shifted
    #: around obstacles, as LEAD trains), or ``route_original``, the world's route (data collected
    #: before ``route_original`` was recorded holds the world's route in ``route``)
    route_label: str = attrs.field(default="route", validator=_route_label)
    #: scenario types whose samples (``meta.json`` ``scenario``: a trigger of that type within 30 m)
    #: learn ``route``, the expert's path, whatever ``route_label`` says: with ``route_label:
    #: route_original`` the route head learns the world's route everywhere but around the obstacles
    #: of these types, where it learns the expert's way past them
    expert_path_scenarios: tuple[str, ...] = attrs.field(
        default=(), converter=lambda v: v if isinstance(v, str) else tuple(v), validator=_scenario_names)
    target_speed_classes: tuple[float, ...] = TARGET_SPEED_CLASSES
    #: classify the traffic light ahead on the ego's lane (none / stop / go, see
    #: ``heads.light_state``) from the pooled image features, and give the planner that pooled
    #: embedding as a memory token (plus the predicted probabilities in the status-query MLP).
    #: Not in LEAD, which leaves the light's colour to the dense heads; a small model trained for
    #: minutes does not carry the colour of a housing a few pixels wide into the BEV it plans on
    light_state_head: bool = False
    #: classify the ego's place relative to a stop sign on its lane (none / ahead / at, see
    #: ``heads.stop_sign``) from the light-state head's embedding; needs ``light_state_head``. Its
    #: loss teaches that embedding, which the planner reads, about stop signs; the agent's optional
    #: ``full_stop_at_stop_signs`` rule reads the zone (not in LEAD, whose stop-sign heuristic
    #: reads the BEV prediction, where a small model shows no stop-sign area)
    stop_sign_head: bool = False

    loss_weights: dict[str, float] = attrs.field(factory=dict, converter=_complete_loss_weights, validator=_loss_weights)

    def __attrs_post_init__(self) -> None:
        for name, extent in (("x", self.max_x - self.min_x), ("y", self.max_y - self.min_y)):
            pixels = extent * self.pixels_per_meter
            if extent <= 0 or abs(pixels - round(pixels)) > 1e-6:
                raise TFv6ConfigError(
                    f"TFv6Config: LiDAR {name} range of {extent} m at pixels_per_meter={self.pixels_per_meter} "
                    f"gives {pixels} pixels; choose a range and resolution that give a whole, positive number"
                )
        if self.radar_token_dim % self.radar_heads or self.transfuser_token_dim % self.planner_heads:
            raise TFv6ConfigError(
                "TFv6Config: radar_token_dim must be divisible by radar_heads and transfuser_token_dim by "
                f"planner_heads, got {self.radar_token_dim}/{self.radar_heads} and "
                f"{self.transfuser_token_dim}/{self.planner_heads}"
            )
        if self.radar_token_dim % 4 or self.transfuser_token_dim % 4:
            raise TFv6ConfigError("TFv6Config: radar_token_dim and transfuser_token_dim must be multiples of 4 (sine embeddings)")
        speeds = self.target_speed_classes
        if len(speeds) < 2 or speeds[0] != 0.0 or any(b <= a for a, b in zip(speeds, speeds[1:])):
            raise TFv6ConfigError(
                f"TFv6Config.target_speed_classes must start at 0 and increase strictly, got {speeds}"
            )
        if len(self.perspective_channels) != 3:
            raise TFv6ConfigError(f"TFv6Config.perspective_channels needs 3 values, got {self.perspective_channels}")
        if self.stop_sign_head and not self.light_state_head:
            raise TFv6ConfigError(
                "TFv6Config.stop_sign_head reads the light-state head's embedding; set light_state_head: true as well"
            )
        if self.planner_target_line_status and not self.planner_status_queries:
            raise TFv6ConfigError(
                "TFv6Config.planner_target_line_status feeds the status-query MLP; set planner_status_queries: true as well"
            )

    # -- derived sizes --
    @property
    def lidar_height(self) -> int:
        """BEV raster rows (the y axis)."""
        return round((self.max_y - self.min_y) * self.pixels_per_meter)

    @property
    def lidar_width(self) -> int:
        """BEV raster columns (the x axis)."""
        return round((self.max_x - self.min_x) * self.pixels_per_meter)

    @property
    def image_anchors(self) -> tuple[int, int]:
        """Token grid of the image branch in the fusion transformers (12x36 at 384x1152)."""
        return max(1, self.image_height // self.anchor_stride), max(1, self.image_width // self.anchor_stride)

    @property
    def lidar_anchors(self) -> tuple[int, int]:
        """Token grid of the LiDAR branch in the fusion transformers (10x12 at 320x384)."""
        return max(1, self.lidar_height // self.anchor_stride), max(1, self.lidar_width // self.anchor_stride)

    @property
    def perspective_size(self) -> tuple[int, int]:
        """Rows and columns of the semantics and depth predictions (and labels)."""
        return self.image_height // self.perspective_output_stride, self.image_width // self.perspective_output_stride

    @property
    def bev_grid(self) -> tuple[int, int]:
        """Rows and columns of the dense BEV head grid (80x96 at full resolution)."""
        return self.lidar_height // self.bev_output_stride, self.lidar_width // self.bev_output_stride

    @property
    def uses_planner(self) -> bool:
        return self.phase == "posttrain"

    @property
    def active_loss_weights(self) -> dict[str, float]:
        """Loss weights of the parts this phase trains, normalised to sum 1."""
        weights = {
            name: weight
            for name, weight in self.loss_weights.items()
            if (self.uses_planner or name not in PLANNING_LOSSES)
            and (self.predict_box_velocity or name != "center_velocity")
            and (name not in OPTIONAL_HEAD_LOSSES or getattr(self, OPTIONAL_HEAD_LOSSES[name]))
        }
        total = sum(weights.values())
        if total <= 0:
            raise TFv6ConfigError("TFv6Config.loss_weights: the active parts sum to 0; give at least one part a weight > 0")
        return {name: weight / total for name, weight in weights.items()}

    def replace(self, **overrides: Any) -> TFv6Config:
        """A copy with some fields changed; an unknown field name raises with suggestions."""
        known = [field.name for field in attrs.fields(TFv6Config)]
        for name in overrides:
            if name not in known:
                raise UnknownOverrideError(name, known)
        return attrs.evolve(self, **overrides)


def check_divisible(what: str, size: tuple[int, int], stride: int, fields: str) -> None:
    """Raise when an input size is not a multiple of a backbone's total stride."""
    height, width = size
    if height % stride or width % stride:
        fix_h, fix_w = (math.ceil(v / stride) * stride for v in size)
        raise TFv6ConfigError(
            f"TFv6Config: {what} size {height}x{width} is not divisible by the backbone stride {stride}; "
            f"set {fields} to multiples of {stride} (e.g. {fix_h}x{fix_w})"
        )


@attrs.define(frozen=True)
class BackboneConfig:
    """YAML section of a named backbone (``lead_tfv6.backbones.create_backbone`` arguments)."""

    in_chans: int = 3
    out_indices: tuple[int, ...] | None = None
    weights_path: str | None = None


@attrs.define(frozen=True)
class TimmBackboneConfig:
    """YAML section of the generic ``timm`` backbone: any timm model by name."""

    model: str = "resnet34"
    in_chans: int = 3
    out_indices: tuple[int, ...] | None = None
    weights_path: str | None = None


@attrs.define(frozen=True)
class PlanningDecoderConfig:
    """YAML section of the ``tfv6_planning_decoder`` planner: the model settings and the BEV width it reads."""

    bev_channels: int = 512
    model: TFv6Config = attrs.field(factory=TFv6Config)
