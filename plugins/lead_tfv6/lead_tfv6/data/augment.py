"""Photometric camera augmentation: five independent ops, each applied with probability 0.2.

Blur, Gaussian noise, pixel dropout, brightness multiply and contrast, on the uint8 RGB image
before normalisation. No geometric ops (no flips): labels stay aligned. All randomness comes from
the generator passed in, so a sample's augmentation is reproducible.
"""

from __future__ import annotations

import cv2
import numpy as np

OP_PROBABILITY = 0.2


def _blur(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigmaX=float(rng.uniform(0.3, 1.5)))


def _noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(0.0, float(rng.uniform(2.0, 12.0)), image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def _dropout(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    dropped = rng.random(image.shape[:2]) < float(rng.uniform(0.01, 0.1))
    result = image.copy()
    result[dropped] = 0
    return result


def _multiply(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(image * float(rng.uniform(0.7, 1.3)), 0, 255).astype(np.uint8)


def _contrast(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mean = image.mean()
    return np.clip((image - mean) * float(rng.uniform(0.6, 1.4)) + mean, 0, 255).astype(np.uint8)


OPS = (_blur, _noise, _dropout, _multiply, _contrast)


def augment_photometric(image: np.ndarray, rng: np.random.Generator, probability: float = OP_PROBABILITY) -> np.ndarray:
    """Apply each op with ``probability``, in a fixed order; returns a new uint8 image."""
    result = image
    for op in OPS:
        if rng.random() < probability:
            result = op(result, rng)
    return result
