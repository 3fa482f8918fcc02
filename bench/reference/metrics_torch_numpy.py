#!/usr/bin/python3
"""The whole of `advnet eval metrics --samples` the way a PyTorch user computes it, for make bench:
the classifier's features and logits of the samples and of the 10 000 test images with PyTorch (the
advnet classifier file loaded into the torch.nn.Sequential its names follow), then FID
(scipy.linalg.sqrtm, as pytorch-fid), KID (torch-fidelity's 100 subsets of 1 000, float64 NumPy), IS
(10 splits) and precision/recall/density/coverage (prdc's formulas on float64 distances through a GEMM,
as prdc's sklearn pairwise_distances; the real set's distances once for both k).
Prints one JSON line: seconds (from the first file read to the last number) and the metrics.

usage: metrics_torch_numpy.py SAMPLES.npy CLASSIFIER.safetensors DATA_DIR [--threads T]
"""
import argparse
import gzip
import json
import os
import struct
import time
import tomllib

import numpy as np
import scipy.linalg
import scipy.special
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("samples")
p.add_argument("classifier")
p.add_argument("data")
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
start = time.perf_counter()


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__")
    tensors = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        dtype = np.float32 if e["dtype"] == "F32" else np.int64
        tensors[name] = np.frombuffer(data[b:end], dtype=dtype).reshape(e["shape"])
    return meta, tensors


def read_idx_images(path):
    raw = gzip.open(path + ".gz").read() if os.path.exists(path + ".gz") else open(path, "rb").read()
    n, h, w = struct.unpack(">III", raw[4:16])
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h * w).astype(np.float32) / 255.0


class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


meta, weights = read_safetensors(a.classifier)
layers_spec = tomllib.loads(meta["config"])["net"]["layers"]
shape = [int(v) for v in meta["example_shape"].split(",")]
mods, cur = [], shape
for i, s in enumerate(layers_spec):
    t = s["type"]
    if t == "reshape":
        mods.append(Reshape(s["shape"])); cur = s["shape"]
    elif t == "flatten":
        mods.append(nn.Flatten()); cur = [int(np.prod(cur))]
    elif t == "conv2d":
        k, pad, st = s["kernel"], s.get("padding", 0), s.get("stride", 1)
        mods.append(nn.Conv2d(cur[0], s["channels"], k, stride=st, padding=pad, bias=s.get("bias", True)))
        cur = [s["channels"], (cur[1] + 2 * pad - k) // st + 1, (cur[2] + 2 * pad - k) // st + 1]
    elif t == "max_pool2d":
        k = s["kernel"]; st = s.get("stride", k)
        mods.append(nn.MaxPool2d(k, st)); cur = [cur[0], (cur[1] - k) // st + 1, (cur[2] - k) // st + 1]
    elif t == "batch_norm":  # advnet's BatchNorm: per channel of (N, C, H, W) or per feature of (N, C)
        bn = nn.BatchNorm2d if len(cur) == 3 else nn.BatchNorm1d
        mods.append(bn(cur[0], eps=s.get("eps", 1e-5), momentum=s.get("momentum", 0.1)))
    elif t == "relu":
        mods.append(nn.ReLU())
    elif t == "dropout":
        mods.append(nn.Identity())  # eval mode
    elif t == "linear":
        mods.append(nn.Linear(cur[0], s["units"], bias=s.get("bias", True))); cur = [s["units"]]
    else:
        raise SystemExit(f"metrics_torch_numpy.py: layer type {t} is not mapped here")
net = nn.Sequential(*mods).eval()
state = {k: torch.from_numpy(v.copy().reshape(()) if k.endswith("num_batches_tracked") else v.copy())
         for k, v in weights.items()}
net.load_state_dict(state, strict=True)


def features(x):
    feats, logits = [], []
    with torch.no_grad():
        for b in range(0, x.shape[0], 500):
            h = torch.from_numpy(x[b:b + 500])
            for m in net[:-1]:
                h = m(h)
            feats.append(h.numpy().copy())
            logits.append(net[-1](h).numpy().copy())
    return np.concatenate(feats).astype(np.float64), np.concatenate(logits).astype(np.float64)


samples = np.load(a.samples).reshape(-1, int(np.prod(shape))).astype(np.float32)
reference = read_idx_images(os.path.join(a.data, "t10k-images-idx3-ubyte"))
fs, ls = features(samples)
fr, _ = features(reference)

m1, s1 = fs.mean(0), np.cov(fs, rowvar=False)
m2, s2 = fr.mean(0), np.cov(fr, rowvar=False)
covmean = scipy.linalg.sqrtm(s1 @ s2)
if not np.isfinite(covmean).all():
    off = np.eye(s1.shape[0]) * 1e-6
    covmean = scipy.linalg.sqrtm((s1 + off) @ (s2 + off))
fid = float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))

rng = np.random.RandomState(0)
d = fs.shape[1]
kids = []
for _ in range(100):
    x = fs[rng.choice(len(fs), 1000, replace=False)]
    y = fr[rng.choice(len(fr), 1000, replace=False)]
    kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
    m = 1000
    kids.append((kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / m**2)

pr = scipy.special.softmax(ls, axis=1)
scores = []
for k in range(10):  # torch-fidelity's splits: rows k*N//10 to (k+1)*N//10
    q = pr[k * len(pr) // 10:(k + 1) * len(pr) // 10]
    py = q.mean(0)
    scores.append(np.exp(np.mean(np.sum(scipy.special.rel_entr(q, py), axis=1))))


def sq_distances(a, b):
    """Squared Euclidean distances in float64 through one BLAS GEMM, as prdc's sklearn pairwise_distances."""
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)


def radii(d_self, ks):
    """prdc's k-NN radii (squared) for every k from one distance matrix: the k-th nearest other row."""
    part = np.partition(d_self, max(ks), axis=1)  # the row itself is at 0, its k-th neighbour at column k
    return [np.sort(part[:, :max(ks) + 1], axis=1)[:, k] for k in ks]


d_rf = sq_distances(fr, fs)
r3, r5 = radii(sq_distances(fr, fr), (3, 5))
(f3,) = radii(sq_distances(fs, fs), (3,))
result = {
    "fid": fid, "kid": float(np.mean(kids)), "is": float(np.mean(scores)),
    "precision": float((d_rf < r3[:, None]).any(axis=0).mean()), "recall": float((d_rf < f3[None, :]).any(axis=1).mean()),
    "density": float((d_rf < r5[:, None]).sum(axis=0).mean() / 5), "coverage": float((d_rf.min(axis=1) < r5).mean()),
}
result["seconds"] = time.perf_counter() - start
print(json.dumps(result))
