"""Minimum-cost one-to-one assignment (Hungarian matching) for set-prediction losses.

scipy's ``linear_sum_assignment`` is used when scipy is installed; otherwise an exact O(n^3)
shortest-augmenting-path solver (Kuhn-Munkres with potentials) gives the same optimum.
"""

from __future__ import annotations

import numpy as np

try:
    from scipy.optimize import linear_sum_assignment as _scipy_assignment
except ImportError:  # scipy is optional
    _scipy_assignment = None


def exact_assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a minimum-cost assignment of a (n, m) cost matrix with n <= m or n > m."""
    cost = np.asarray(cost, dtype=np.float64)
    transposed = cost.shape[0] > cost.shape[1]
    if transposed:
        cost = cost.T
    n, m = cost.shape
    # Potentials u (rows), v (columns); match[j] = row assigned to column j (1-based, 0 = free).
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    match = np.zeros(m + 1, dtype=np.int64)
    for row in range(1, n + 1):
        match[0] = row
        column = 0
        min_slack = np.full(m + 1, np.inf)
        previous = np.zeros(m + 1, dtype=np.int64)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[column] = True
            current_row = match[column]
            slack = cost[current_row - 1] - u[current_row] - v[1:]
            free = ~used[1:]
            better = free & (slack < min_slack[1:])
            min_slack[1:][better] = slack[better]
            previous[1:][better] = column
            candidates = np.where(free, min_slack[1:], np.inf)
            next_column = int(np.argmin(candidates)) + 1
            delta = candidates[next_column - 1]
            u[match[used]] += delta
            v[used] -= delta
            min_slack[1:][free] -= delta
            column = next_column
            if match[column] == 0:
                break
        while column:
            prior = previous[column]
            match[column] = match[prior]
            column = prior
    columns = np.nonzero(match[1:])[0]
    rows = match[1:][columns] - 1
    if transposed:
        rows, columns = columns, rows
    order = np.argsort(rows)
    return rows[order], columns[order]


def linear_assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost assignment; rows sorted ascending, as scipy returns them."""
    if _scipy_assignment is not None:
        rows, columns = _scipy_assignment(cost)
        return np.asarray(rows), np.asarray(columns)
    return exact_assignment(cost)
