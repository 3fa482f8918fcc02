#!/usr/bin/python3
"""Writes tests/golden/modes.bin and modes.json: the mode coverage of fixed 2-D sample sets computed
independently with NumPy in float64, for tests/eval/modes_test.cpp to compare advnet's C++ with.

Run:  make golden   (= /usr/bin/python3 tests/golden/make_modes.py)

The protocol, as fjxmlzn/PacGAN's MetricLogger (synthetic_data_experiments/PacGAN/pacgan/extensions.py)
computes it, written here from that description, not from advnet: each sample goes to the mode whose
mean is nearest (Mahalanobis distance with the diagonal variances std^2, i.e. Euclidean / std) and counts
for that mode when the distance is below 3; modes = modes with a count, high_quality = counted samples /
all samples, reverse_kl = KL(counts / sum || uniform) = sum p log(p K) over modes with p > 0. The mode means
are computed here too: the ring's m-th at angle 2 pi m / K on the circle of the radius (PacGAN's config.py),
the grid's m-th at ((m % g) - (g-1)/2, (m // g) - (g-1)/2) * spacing.

Stacked MNIST's count (VEEGAN / PacGAN, stacked_mnist_experiments/.../metric.py as described there): a
classifier names each sample's mode (one of 1 000 digit triples); every sample counts, modes = modes with a
count, KL = KL(counts / N || uniform over 1 000). Here the modes are given (integers in the .bin as float32).

The .bin file (the ADVGOLD1 format of make_golden.py) holds the float32 samples; the .json file the expected
numbers and the sets' parameters.
"""
import json
from pathlib import Path

import numpy as np

from advgold import write_whole

OUT = Path(__file__).resolve().parent
rng = np.random.RandomState(20261203)


def ring(k, radius):
    a = 2 * np.pi * np.arange(k) / k
    return np.stack([radius * np.cos(a), radius * np.sin(a)], axis=1)


def grid(g, spacing):
    m = np.arange(g * g)
    off = (g - 1) / 2
    return np.stack([(m % g - off) * spacing, (m // g - off) * spacing], axis=1)


def coverage(samples, means, std):
    x = samples.astype(np.float64)
    d = np.sqrt((((x[:, None, :] - means[None, :, :]) / std) ** 2).sum(axis=2))  # (N, K)
    nearest = d.argmin(axis=1)
    good = d[np.arange(len(x)), nearest] < 3
    counts = np.bincount(nearest[good], minlength=len(means))
    p = counts[counts > 0] / counts.sum() if counts.sum() else np.array([])
    return {"modes": int((counts > 0).sum()), "high_quality": float(good.mean()),
            "reverse_kl": float((p * np.log(p * len(means))).sum()) if len(p) else None, "counts": counts.tolist()}


def draw(means, std, per_mode, outliers):
    """per_mode[m] samples around mode m (some of them beyond 3 std), then `outliers` uniform points."""
    parts = []
    for m, n in enumerate(per_mode):
        # radii spread so that some fall inside 3 std and some outside, in random directions
        r = std * rng.uniform(0, 4.5, n)
        a = rng.uniform(0, 2 * np.pi, n)
        parts.append(means[m] + np.stack([r * np.cos(a), r * np.sin(a)], axis=1))
    span = np.abs(means).max() + 1
    parts.append(rng.uniform(-span, span, (outliers, 2)))
    x = np.concatenate(parts)
    return x[rng.permutation(len(x))].astype(np.float32)


tensors, expect = {}, {}
# Ring of 8 (PacGAN's: radius 1, std 0.01): modes 2 and 5 missing, uneven counts, outliers.
ring_means, ring_std = ring(8, 1.0), 0.01
tensors["ring"] = draw(ring_means, ring_std, [400, 30, 0, 250, 5, 0, 120, 700], 60)
expect["ring"] = dict(coverage(tensors["ring"], ring_means, ring_std), kind="ring_2d", modes_total=8, radius=1.0, std=ring_std)
# Grid of 25 (spacing 2, std 0.05): a third of the modes empty, one mode holding most samples.
grid_means, grid_std = grid(5, 2.0), 0.05
per = [0 if m % 3 == 0 else int(rng.randint(1, 60)) for m in range(25)]
per[7] = 900
tensors["grid"] = draw(grid_means, grid_std, per, 100)
expect["grid"] = dict(coverage(tensors["grid"], grid_means, grid_std), kind="grid_2d", grid=5, spacing=2.0, std=grid_std)
# Nothing near any mode: no high-quality sample, reverse KL undefined (null).
tensors["far"] = (rng.uniform(-1, 1, (50, 2)) * 0.3).astype(np.float32)
expect["far"] = dict(coverage(tensors["far"], ring_means, ring_std), kind="ring_2d", modes_total=8, radius=1.0, std=ring_std)

# Stacked MNIST: 3 000 samples on 1 000 modes, a few hundred of them never drawn, a few drawn often.
weights = rng.gamma(0.3, size=1000)
weights[rng.choice(1000, 250, replace=False)] = 0
labels = rng.choice(1000, 3000, p=weights / weights.sum())
counts = np.bincount(labels, minlength=1000)
p = counts[counts > 0] / len(labels)
tensors["stacked"] = labels.astype(np.float32)
expect["stacked"] = dict(modes=int((counts > 0).sum()), kl=float((p * np.log(p * 1000)).sum()), counts=counts.tolist())


write_whole(OUT / "modes.bin", tensors)
(OUT / "modes.json").write_text(json.dumps(expect, indent=1, sort_keys=True) + "\n")
print("wrote", OUT / "modes.bin", "and", OUT / "modes.json")
