"""Savitzky-Golay smoothing and differentiation in numpy (same results as SciPy's
``savgol_filter`` with ``mode="interp"``, without depending on SciPy).

Each output sample is the value (or derivative) at that sample of the least-squares polynomial of
order ``polyorder`` through the ``window`` samples centred on it; the first and last
``window // 2`` samples use the polynomial fitted to the first and last full window.
"""

from __future__ import annotations

import math

import numpy as np

from lead_framework.scoring.errors import ScoringError


def _derivative_rows(offsets: np.ndarray, window: int, polyorder: int, deriv: int) -> np.ndarray:
    """Rows mapping the ``window`` samples to the ``deriv``-th derivative at ``offsets``
    (offsets in samples, relative to the window centre)."""
    half = window // 2
    positions = np.arange(window, dtype=float) - half
    vandermonde = positions[:, None] ** np.arange(polyorder + 1)
    fit = np.linalg.pinv(vandermonde)  # polynomial coefficients = fit @ samples
    rows = np.zeros((len(offsets), window))
    for power in range(deriv, polyorder + 1):
        scale = math.factorial(power) / math.factorial(power - deriv)
        rows += scale * (offsets[:, None] ** (power - deriv)) * fit[power][None, :]
    return rows


def savgol_filter(
    values: np.ndarray, window: int, polyorder: int, *, deriv: int = 0, delta: float = 1.0
) -> np.ndarray:
    """Smooth (``deriv=0``) or differentiate a 1-D signal sampled every ``delta`` seconds."""
    signal = np.asarray(values, dtype=float)
    if signal.ndim != 1:
        raise ScoringError(f"savgol_filter needs a 1-D signal, got shape {signal.shape}")
    if window % 2 != 1 or window < 1:
        raise ScoringError(f"savgol_filter window must be a positive odd number, got {window}")
    if not 0 <= polyorder < window:
        raise ScoringError(f"savgol_filter needs 0 <= polyorder < window, got polyorder={polyorder}, window={window}")
    if window > len(signal):
        raise ScoringError(f"savgol_filter window {window} is longer than the signal ({len(signal)} samples)")
    if deriv < 0 or delta <= 0:
        raise ScoringError(f"savgol_filter needs deriv >= 0 and delta > 0, got deriv={deriv}, delta={delta}")
    if deriv > polyorder:
        return np.zeros_like(signal)
    half = window // 2
    scale = delta ** (-deriv)
    centre = _derivative_rows(np.zeros(1), window, polyorder, deriv)[0]
    out = np.empty_like(signal)
    windows = np.lib.stride_tricks.sliding_window_view(signal, window)
    out[half : len(signal) - half] = windows @ centre
    if half:
        edge_offsets = np.arange(1, half + 1, dtype=float)
        out[:half] = _derivative_rows(-edge_offsets[::-1], window, polyorder, deriv) @ signal[:window]
        out[len(signal) - half :] = _derivative_rows(edge_offsets, window, polyorder, deriv) @ signal[-window:]
    return out * scale
