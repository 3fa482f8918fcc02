#!/usr/bin/python3
"""Writes tests/golden/feature_metrics.bin and feature_metrics.json: the feature metrics of fixed feature
sets computed independently in float64 with NumPy and SciPy (Debian's python3-numpy, python3-scipy), for
tests/eval/feature_metrics_test.cpp to compare advnet's C++ with.

Run:  make golden   (= /usr/bin/python3 tests/golden/make_feature_metrics.py)

The .bin file (the ADVGOLD1 format of make_golden.py, whole float32 tensors only) holds the inputs, so
both sides see the same float32 values: feature sets, and KID's subset rows (float32 integers, exact below
2^24), so both sides use the same subsets. The .json file holds what NumPy/SciPy computed, in float64
(Python's repr: the shortest text that reads back to the same double).

Definitions (the references, written from the papers and the tools' documented formulas, not from advnet):
  FID, full rank:   ||mu1 - mu2||^2 + Tr S1 + Tr S2 - 2 Tr sqrtm(S1 S2), scipy.linalg.sqrtm (pytorch-fid's way)
  FID, any rank:    the trace term as sum sqrt(eig(R S2 R)), R = sqrt(S1) by numpy.linalg.eigh, eigenvalues
                    <= d * eps * lambda_max counted as 0 in both (advnet's documented formula, here in NumPy)
  KID:              unbiased MMD^2, k(x, y) = (x.y / d + 1)^3, mean and numpy.std over the stored subsets
  IS:               exp(mean KL(p(y|x) || p(y))) over 10 splits, rows k*N//10 to (k+1)*N//10, scipy.special.softmax and
                    scipy.stats.entropy
  precision/recall: Kynkaenniemi et al. 2019, k = 3; density/coverage: Naeem et al. 2020, k = 5; radii the
                    distance to the k-th nearest other row; "inside" strictly closer; scipy.spatial cdist
"""
import json
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.spatial.distance
import scipy.special
import scipy.stats

from advgold import write_whole

OUT = Path(__file__).resolve().parent
rng = np.random.RandomState(20261202)


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def stats(x):
    x = x.astype(np.float64)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def fid_sqrtm(x, y):
    m1, s1 = stats(x)
    m2, s2 = stats(y)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    assert np.abs(covmean.imag).max() < 1e-8, "sqrtm: a complex result on a full-rank fixture"
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


def clipped_sqrt(lam):
    cutoff = lam.size * np.finfo(np.float64).eps * max(lam.max(), 0.0)
    return np.where(lam > cutoff, np.sqrt(np.clip(lam, 0, None)), 0.0)


def fid_eigh(x, y):
    m1, s1 = stats(x)
    m2, s2 = stats(y)
    lam, v = np.linalg.eigh(s1)
    r = (v * clipped_sqrt(lam)) @ v.T
    inner = r @ s2 @ r
    inner = 0.5 * (inner + inner.T)
    tr = clipped_sqrt(np.linalg.eigvalsh(inner)).sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr), float(np.trace(s1) + np.trace(s2))


def kid(x, y, xs, ys):
    x, y = x.astype(np.float64), y.astype(np.float64)
    d = x.shape[1]
    vals = []
    for ix, iy in zip(xs, ys):
        a, b = x[ix], y[iy]
        m = a.shape[0]
        kxx = (a @ a.T / d + 1) ** 3
        kyy = (b @ b.T / d + 1) ** 3
        kxy = (a @ b.T / d + 1) ** 3
        vals.append((kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / m**2)
    return float(np.mean(vals)), float(np.std(vals))


def inception(logits, splits=10):
    p = scipy.special.softmax(logits.astype(np.float64), axis=1)
    n = p.shape[0]
    scores = []
    for k in range(splits):
        q = p[k * n // splits:(k + 1) * n // splits]
        py = q.mean(axis=0)
        scores.append(np.exp(np.mean([scipy.stats.entropy(row, py) for row in q])))
    return float(np.mean(scores)), float(np.std(scores))


def radii(x, k):
    dist = scipy.spatial.distance.cdist(x, x)  # float64
    np.fill_diagonal(dist, np.inf)
    return np.sort(dist, axis=1)[:, k - 1]


def prdc(real, fake, k_pr=3, k_dc=5):
    real, fake = real.astype(np.float64), fake.astype(np.float64)
    d_rf = scipy.spatial.distance.cdist(real, fake)  # (R, F)
    r3, f3, r5 = radii(real, k_pr), radii(fake, k_pr), radii(real, k_dc)
    precision = (d_rf < r3[:, None]).any(axis=0).mean()
    recall = (d_rf < f3[None, :]).any(axis=1).mean()
    density = (d_rf < r5[:, None]).sum(axis=0).mean() / k_dc
    coverage = (d_rf.min(axis=1) < r5).mean()
    return {"precision": float(precision), "recall": float(recall), "density": float(density), "coverage": float(coverage)}


def rank_deficient(n, d, rank, dead, shift):
    """n rows of d features spanning `rank` dimensions, with `dead` columns always 0 (dead ReLU units)."""
    z = rng.randn(n, rank)
    a = rng.randn(rank, d - dead) / np.sqrt(rank)
    x = z @ a + shift  # the covariance's rank is exactly `rank`
    return np.concatenate([x, np.zeros((n, dead))], axis=1)


tensors = {}
expect = {}

# Full rank: two correlated Gaussian sets of 16 features.
mix = rng.randn(16, 16) / 4
tensors["full_x"] = f32(rng.randn(400, 16) @ mix + 0.5)
tensors["full_y"] = f32(rng.randn(300, 16) @ (mix + 0.1 * rng.randn(16, 16)) + 0.3 * rng.randn(16))
expect["fid_full_sqrtm"] = fid_sqrtm(tensors["full_x"], tensors["full_y"])
expect["fid_full_eigh"], expect["trace_full"] = fid_eigh(tensors["full_x"], tensors["full_y"])

# Rank-deficient: 32 features spanning 10 (x) and 12 (y) dimensions, 6 dead columns in both.
tensors["low_x"] = f32(rank_deficient(400, 32, 10, 6, 1.0))
tensors["low_y"] = f32(rank_deficient(350, 32, 12, 6, 0.8))
expect["fid_low_eigh"], expect["trace_low"] = fid_eigh(tensors["low_x"], tensors["low_y"])
expect["fid_low_self"], expect["trace_low_self"] = fid_eigh(tensors["low_x"], tensors["low_x"])

# KID: 5 subsets of 100 rows of sets of 200 and 220.
tensors["kid_x"] = f32(rng.randn(200, 16) * 0.7 + 0.2)
tensors["kid_y"] = f32(rng.randn(220, 16) * 0.8)
xs = [rng.choice(200, 100, replace=False) for _ in range(5)]
ys = [rng.choice(220, 100, replace=False) for _ in range(5)]
tensors["kid_x_rows"] = f32(np.stack(xs))
tensors["kid_y_rows"] = f32(np.stack(ys))
expect["kid_mean"], expect["kid_std"] = kid(tensors["kid_x"], tensors["kid_y"], xs, ys)

# IS: 1 005 rows of 10 logits (splits of 100 and 101 rows).
tensors["is_logits"] = f32(rng.randn(1005, 10) * 2.5 + np.linspace(0, 1, 10))
expect["is_mean"], expect["is_std"] = inception(tensors["is_logits"])

# Precision/recall and density/coverage: real and a shifted, narrower fake, 8 features.
tensors["pr_real"] = f32(rng.randn(300, 8))
tensors["pr_fake"] = f32(rng.randn(250, 8) * 0.7 + 0.4)
expect.update(prdc(tensors["pr_real"], tensors["pr_fake"]))
tensors["pr_real_radius3"] = f32(radii(tensors["pr_real"].astype(np.float64), 3) ** 2)


write_whole(OUT / "feature_metrics.bin", tensors)
(OUT / "feature_metrics.json").write_text(json.dumps(expect, indent=1, sort_keys=True) + "\n")
print("wrote", OUT / "feature_metrics.bin", "and", OUT / "feature_metrics.json")
