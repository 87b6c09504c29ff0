"""The TFv6 data pipeline: shard samples -> model tensors, batch streams, synthetic data sets."""

from lead_tfv6.data.augment import augment_photometric
from lead_tfv6.data.errors import SampleFormatError
from lead_tfv6.data.geometry import (
    lidar_input_points,
    resample_path,
    to_perturbated_frame,
)
from lead_tfv6.data.labels import BEV_IGNORE, bev_labels
from lead_tfv6.data.sample import MEMBERS, SampleOptions, convert_sample
from lead_tfv6.data.stream import TFv6BatchStream, collate, decode_sample, make_loader
from lead_tfv6.data.synthetic import write_synthetic_dataset

__all__ = [
    "BEV_IGNORE",
    "MEMBERS",
    "SampleFormatError",
    "SampleOptions",
    "TFv6BatchStream",
    "augment_photometric",
    "bev_labels",
    "collate",
    "convert_sample",
    "decode_sample",
    "lidar_input_points",
    "make_loader",
    "resample_path",
    "to_perturbated_frame",
    "write_synthetic_dataset",
]
