"""One decoded shard sample -> the TFv6 input and label arrays of ``lead_tfv6.batch``.

The camera view and its labels come from the main rig, or with probability
``perturbation_probability`` from the perturbated rig (``*_perturbated`` members); the LiDAR and
radar points are then moved rigidly into the perturbated frame (they are recorded once).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from lead_tfv6.batch import lidar_to_histogram, normalize_camera, perspective_labels
from lead_tfv6.config import TFv6Config
from lead_tfv6.data.augment import augment_photometric
from lead_tfv6.data.errors import SampleFormatError
from lead_tfv6.data.geometry import lidar_input_points, to_perturbated_frame
from lead_tfv6.data.labels import (
    bev_labels,
    box_rows,
    depth_labels,
    light_state_label,
    meta_inputs_and_labels,
    pad_radar,
    radar_detection_labels,
    stop_sign_label,
)
from lead_tfv6.heads.centernet import centernet_targets

PERTURBATED = "_perturbated"
VIEW_MEMBERS = ("rgb.jpg", "semantics.png", "depth.png", "bev.png", "boxes.json", "meta.json")
SHARED_MEMBERS = ("lidar.npy", "radar.npy")
#: Every member the pipeline reads (others in the shards are skipped).
MEMBERS = (*VIEW_MEMBERS, *SHARED_MEMBERS, *(m.replace(".", PERTURBATED + ".", 1) for m in VIEW_MEMBERS))


@attrs.define(frozen=True)
class SampleOptions:
    """How samples become training arrays."""

    perturbation_probability: float = 0.5
    augment: bool = True
    augment_probability: float = 0.2


def _member(sample: Mapping[str, Any], name: str) -> Any:
    if name not in sample:
        present = ", ".join(sorted(k for k in sample if not k.startswith("__")))
        raise SampleFormatError(sample.get("__key__", "?"), f"member {name!r} is missing (members: {present})")
    return sample[name]


def has_perturbated_view(sample: Mapping[str, Any]) -> bool:
    return all(m.replace(".", PERTURBATED + ".", 1) in sample for m in VIEW_MEMBERS)


def convert_sample(
    sample: Mapping[str, Any], config: TFv6Config, options: SampleOptions, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Inputs and labels of one sample, without the batch dimension: the keys of ``batch_spec`` for a
    post-training config with the same heads (a superset of the pre-training keys)."""
    use_perturbated = has_perturbated_view(sample) and rng.random() < options.perturbation_probability
    suffix = PERTURBATED if use_perturbated else ""

    def view(name: str) -> Any:
        stem, extension = name.split(".")
        return _member(sample, f"{stem}{suffix}.{extension}")

    key = sample.get("__key__", "?")
    try:
        meta = view("meta.json")
        lidar, radar = _member(sample, "lidar.npy"), _member(sample, "radar.npy")
        if use_perturbated:
            perturbation = meta.get("perturbation") or {}
            lidar, radar = to_perturbated_frame(lidar, perturbation), to_perturbated_frame(radar, perturbation)
        image = view("rgb.jpg")
        if options.augment:
            image = augment_photometric(image, rng, options.augment_probability)
        semantics, depth = perspective_labels(view("semantics.png"), depth_labels(view("depth.png"), config), config)
        boxes = box_rows(view("boxes.json"), config)
        bev = view("bev.png")
        arrays: dict[str, np.ndarray] = {
            "rgb": normalize_camera(image, config),
            "lidar": lidar_to_histogram(lidar_input_points(lidar, radar), config),
            "radar": pad_radar(radar, config),
            "semantics": semantics,
            "depth": depth,
            "bev_semantics": bev_labels(bev, meta.get("bev"), config),
            **centernet_targets(boxes, config),
            "radar_detections": radar_detection_labels(boxes, config),
            **meta_inputs_and_labels(meta, config),
        }
        if config.light_state_head:
            arrays["light_state"] = light_state_label(bev, meta.get("bev"))
        if config.stop_sign_head:
            arrays["stop_sign"] = stop_sign_label(bev, meta.get("bev"))
    except SampleFormatError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise SampleFormatError(key, f"cannot be converted for TFv6 ({type(error).__name__}: {error})") from error
    # Planning labels come along in pre-training too (TensorBoard draws the true waypoints).
    return arrays
