#!/usr/bin/python3
"""The paper's MNIST GAN in PyTorch, for timing side by side with `advnet bench train`.

Same model and step as configs/paper_mnist.toml with update_order = "alternating":
G: Linear 100→1200, ReLU, Linear 1200→1200, ReLU, Linear 1200→784, sigmoid (uniform init ±0.05);
D: dropout(0.8) → maxout 240×5 → dropout(0.5) → maxout 240×5 → dropout(0.5) → Linear 240→1, sigmoid;
batch 100, k = 1, non-saturating G loss, SGD lr 0.1 momentum 0.5 (torch form), losses on logits.
Data: random pixels of MNIST's shape (timing only). Prints one JSON line.

usage: torch_paper_mnist.py --iters N [--warmup W] [--threads T]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Maxout(nn.Module):
    def __init__(self, d_in, units, pieces):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(d_in, units * pieces)

    def forward(self, x):
        return self.linear(x).view(x.shape[0], self.units, self.pieces).max(2).values


def build():
    g = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(), nn.Linear(1200, 784))
    d = nn.Sequential(nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.5), Maxout(240, 240, 5), nn.Dropout(0.5),
                      nn.Linear(240, 1))
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, nn.Linear):
            r = 0.05 if m in g.modules() else 0.005
            nn.init.uniform_(m.weight, -r, r)
            nn.init.zeros_(m.bias)
    return g, d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g, d = build()
    g_opt = torch.optim.SGD(g.parameters(), lr=0.1, momentum=0.5)
    d_opt = torch.optim.SGD(d.parameters(), lr=0.1, momentum=0.5)
    data = torch.rand(1600, 784)
    m = 100
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)

    def iteration(i):
        # D step: ascend log D(x) + log(1 − D(G(z))), G's output detached.
        x = data[(i * m) % 1600:(i * m) % 1600 + m]
        z = torch.rand(m, 100) * (2 * math.sqrt(3)) - math.sqrt(3)
        with torch.no_grad():
            fake = torch.sigmoid(g(z))
        d_opt.zero_grad(set_to_none=True)
        d_loss = 0.5 * (F.binary_cross_entropy_with_logits(d(x), ones) +
                        F.binary_cross_entropy_with_logits(d(fake), zeros))
        d_loss.backward()
        d_opt.step()
        # G step: fresh noise, non-saturating loss through D (D's weights get no gradient).
        z = torch.rand(m, 100) * (2 * math.sqrt(3)) - math.sqrt(3)
        for p in d.parameters():
            p.requires_grad_(False)
        g_opt.zero_grad(set_to_none=True)
        g_loss = F.binary_cross_entropy_with_logits(d(torch.sigmoid(g(z))), ones)
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
