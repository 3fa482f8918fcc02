#!/usr/bin/python3
"""configs/dcgan_mnist.toml in PyTorch, for timing side by side with `advnet bench train`.

G: Linear 100→6272 (no bias), BatchNorm1d, ReLU, view (128, 7, 7), ConvTranspose2d 128→64 k4 s2 p1
(no bias), BatchNorm2d, ReLU, ConvTranspose2d 64→1 k4 s2 p1, sigmoid, flatten;
D: view (1, 28, 28), Conv2d 1→64 k4 s2 p1, LeakyReLU 0.2, Conv2d 64→128 k4 s2 p1 (no bias),
BatchNorm2d, LeakyReLU 0.2, flatten, Linear 6272→1 (sigmoid folded into the loss); N(0, 0.02) weights; batch 128, k = 1,
alternating, non-saturating G loss, Adam lr 2e-4, β = (0.5, 0.999), Gaussian noise.
Data: random pixels of MNIST's shape (timing only). Prints one JSON line.

usage: torch_dcgan_mnist.py --iters N [--warmup W] [--threads T]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def build():
    g = nn.Sequential(nn.Linear(100, 6272, bias=False), nn.BatchNorm1d(6272), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Sigmoid(), nn.Flatten())
    d = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2), nn.Flatten(),
                      nn.Linear(6272, 1))
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return g, d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g, d = build()
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    m = 128
    data = torch.rand(16 * m, 784)
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)

    def iteration(i):
        # D step on a real and a generated batch, G's output detached.
        x = data[(i * m) % (16 * m):(i * m) % (16 * m) + m]
        with torch.no_grad():
            fake = g(torch.randn(m, 100))
        d_opt.zero_grad(set_to_none=True)
        d_loss = 0.5 * (F.binary_cross_entropy_with_logits(d(x), ones) +
                        F.binary_cross_entropy_with_logits(d(fake), zeros))
        d_loss.backward()
        d_opt.step()
        # G step: fresh noise, non-saturating loss through D (D's weights get no gradient).
        for p in d.parameters():
            p.requires_grad_(False)
        g_opt.zero_grad(set_to_none=True)
        g_loss = F.binary_cross_entropy_with_logits(d(g(torch.randn(m, 100))), ones)
        g_loss.backward()
        g_opt.step()
        for p in d.parameters():
            p.requires_grad_(True)

    g.train()
    d.train()
    for i in range(a.warmup):
        iteration(i)
    t0 = time.perf_counter()
    for i in range(a.iters):
        iteration(i)
    s = time.perf_counter() - t0
    print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "threads": a.threads, "iters": a.iters,
                      "seconds": s, "iters_per_s": a.iters / s}))


if __name__ == "__main__":
    main()
