#!/usr/bin/python3
"""Writes tests/golden/paper_nets.bin: PyTorch's numbers for the paper's MNIST G and D (PAPER.md §5).

Run with Debian's python3-torch:  make golden   (= /usr/bin/python3 tests/golden/make_golden.py)

Parameters and inputs come from a counter hash that tests/golden/golden_test.cpp computes the same way,
so the file holds only what PyTorch computed (and the inputs, for a check). Contents:
  scenario "eval":  D and G without dropout
  scenario "drop":  D with fixed dropout masks (stored), as in training
  for each: D(x), D(G(z)), G(z), both losses, every parameter gradient (D's from the D loss, G's from
  the G loss through D), the input gradients dL_D/dx and dL_G/dz
  "sgd": the parameters of G and D after 5 alternating steps of pylearn2 momentum SGD (lr 0.1, μ 0.5)

Tensors of up to 100 000 elements are stored whole. Larger ones (the weight matrices of G and of D's maxout layers
and their gradients) are stored as their row sums, column sums (float64) and 4 096 entries at
random positions: every element enters a row and a column sum, which catches layout and indexing errors,
and the sampled entries catch elementwise ones, in a file of about 1 MB instead of 45 MB.

Format (little endian): b"ADVGOLD1", u32 count, then per record: u32 name length, name, u32 kind
(0 whole, 1 summary), u32 rank, i64 dims[rank]; kind 0: f32 data[numel]; kind 1: f64 row_sums[dims[0]],
f64 col_sums[numel/dims[0]], u32 k, i64 index[k], f32 value[k].
"""
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
N = 16
WHOLE_MAX = 100_000
SAMPLES = 4096


def hash_uniform(n, salt, lo, hi):
    """The counter hash of golden_test.cpp: float32 values in [lo, hi)."""
    m = np.uint64(0xFFFFFFFF)
    x = (np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(salt) * np.uint64(0x85EBCA77)) & m
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & m
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & m
    x ^= x >> np.uint64(16)
    u = (x >> np.uint64(8)).astype(np.float32) * np.float32(2.0**-24)
    return (np.float32(lo) + (np.float32(hi) - np.float32(lo)) * u).astype(np.float32)


def tensor(shape, salt, lo, hi):
    return torch.from_numpy(hash_uniform(int(np.prod(shape)), salt, lo, hi).reshape(shape))


# The paper's nets as nn.Sequential-style parameter lists: name → (shape, salt, range).
G_PARAMS = {"0.weight": ((1200, 100), 1, 0.05), "0.bias": ((1200,), 2, 0.1),
            "2.weight": ((1200, 1200), 3, 0.05), "2.bias": ((1200,), 4, 0.1),
            "4.weight": ((784, 1200), 5, 0.05), "4.bias": ((784,), 6, 0.1)}
D_PARAMS = {"1.weight": ((1200, 784), 11, 0.05), "1.bias": ((1200,), 12, 0.1),
            "3.weight": ((1200, 240), 13, 0.05), "3.bias": ((1200,), 14, 0.1),
            "5.weight": ((1, 240), 15, 0.05), "5.bias": ((1,), 16, 0.1)}


def make_params(spec):
    return {k: tensor(s, salt, -r, r).requires_grad_(True) for k, (s, salt, r) in spec.items()}


def generator(p, z):
    h = F.relu(F.linear(z, p["0.weight"], p["0.bias"]))
    h = F.relu(F.linear(h, p["2.weight"], p["2.bias"]))
    return torch.sigmoid(F.linear(h, p["4.weight"], p["4.bias"]))


def maxout(x, w, b, units=240, pieces=5):
    return F.linear(x, w, b).view(x.shape[0], units, pieces).max(2).values


def discriminator_logits(p, x, masks=None):
    """masks: None (no dropout) or three 0/1 tensors for the inputs of layers 1, 3, 5 (scales 1.25, 2, 2)."""
    if masks is not None:
        x = x * masks[0] * 1.25
    h = maxout(x, p["1.weight"], p["1.bias"])
    if masks is not None:
        h = h * masks[1] * 2.0
    h = maxout(h, p["3.weight"], p["3.bias"])
    if masks is not None:
        h = h * masks[2] * 2.0
    return F.linear(h, p["5.weight"], p["5.bias"])


def make_masks(salt):
    return [(tensor((N, d), salt + i, 0, 1) < keep).float() for i, (d, keep) in enumerate([(784, 0.8), (240, 0.5), (240, 0.5)])]


records = []


def put(name, t):
    a = t.detach().numpy().astype(np.float32)
    records.append((name, a))


def scenario(tag, z, x, masks_real, masks_fake):
    g = make_params(G_PARAMS)
    d = make_params(D_PARAMS)
    z = z.clone().requires_grad_(True)
    x = x.clone().requires_grad_(True)
    sample = generator(g, z)
    logit_real = discriminator_logits(d, x, masks_real)
    logit_fake = discriminator_logits(d, sample, masks_fake)
    d_loss = 0.5 * (F.binary_cross_entropy_with_logits(logit_real, torch.ones_like(logit_real))
                    + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake)))
    g_loss = F.binary_cross_entropy_with_logits(logit_fake, torch.ones_like(logit_fake))  # non-saturating
    d_grads = torch.autograd.grad(d_loss, list(d.values()) + [x], retain_graph=True)
    g_grads = torch.autograd.grad(g_loss, list(g.values()) + [z])
    put(f"{tag}.g_out", sample)
    put(f"{tag}.d_real", torch.sigmoid(logit_real))
    put(f"{tag}.d_fake", torch.sigmoid(logit_fake))
    put(f"{tag}.d_loss", d_loss.reshape(1))
    put(f"{tag}.g_loss", g_loss.reshape(1))
    for name, grad in zip(list(d.keys()) + ["input"], d_grads):
        put(f"{tag}.d_grad.{name}", grad)
    for name, grad in zip(list(g.keys()) + ["input"], g_grads):
        put(f"{tag}.g_grad.{name}", grad)


def sgd_steps(z, x, steps=5, lr=0.1, momentum=0.5):
    """Algorithm 1 on one fixed batch, k = 1, no dropout: a D step, then a G step, `steps` times."""
    g = make_params(G_PARAMS)
    d = make_params(D_PARAMS)
    vel = {id(t): torch.zeros_like(t) for t in list(g.values()) + list(d.values())}

    def update(params, grads):
        with torch.no_grad():
            for t, gr in zip(params, grads):
                v = vel[id(t)]
                v.mul_(momentum).sub_(lr * gr)  # pylearn2: v ← μv − lr·g; θ ← θ + v
                t.add_(v)

    for _ in range(steps):
        sample = generator(g, z).detach()
        lr_ = discriminator_logits(d, x)
        lf = discriminator_logits(d, sample)
        d_loss = 0.5 * (F.binary_cross_entropy_with_logits(lr_, torch.ones_like(lr_))
                        + F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))
        update(list(d.values()), torch.autograd.grad(d_loss, list(d.values())))
        lf = discriminator_logits(d, generator(g, z))
        g_loss = F.binary_cross_entropy_with_logits(lf, torch.ones_like(lf))
        update(list(g.values()), torch.autograd.grad(g_loss, list(g.values())))
    for k, t in g.items():
        put(f"sgd.g.{k}", t)
    for k, t in d.items():
        put(f"sgd.d.{k}", t)


def write(path):
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        f.write(b"ADVGOLD1")
        f.write(struct.pack("<I", len(records)))
        for name, a in records:
            nb = name.encode()
            whole = a.size <= WHOLE_MAX
            f.write(struct.pack("<I", len(nb)) + nb)
            f.write(struct.pack("<II", 0 if whole else 1, a.ndim))
            f.write(struct.pack(f"<{a.ndim}q", *a.shape))
            if whole:
                f.write(a.astype("<f4").tobytes())
                continue
            m = a.reshape(a.shape[0], -1).astype(np.float64)
            f.write(m.sum(axis=1).astype("<f8").tobytes())
            f.write(m.sum(axis=0).astype("<f8").tobytes())
            idx = np.sort(rng.choice(a.size, SAMPLES, replace=False)).astype("<i8")
            f.write(struct.pack("<I", SAMPLES) + idx.tobytes())
            f.write(a.reshape(-1)[idx].astype("<f4").tobytes())


def main():
    z = tensor((N, 100), 101, -3.0**0.5, 3.0**0.5)
    x = tensor((N, 784), 102, 0.0, 1.0)
    put("z", z)
    put("x", x)
    scenario("eval", z, x, None, None)
    masks_real, masks_fake = make_masks(200), make_masks(300)
    for i, m in enumerate(masks_real):
        put(f"drop.mask_real.{i}", m)
    for i, m in enumerate(masks_fake):
        put(f"drop.mask_fake.{i}", m)
    scenario("drop", z, x, masks_real, masks_fake)
    sgd_steps(z, x)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("paper_nets.bin")
    write(out)
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(records)} tensors, torch {torch.__version__})")


if __name__ == "__main__":
    main()
