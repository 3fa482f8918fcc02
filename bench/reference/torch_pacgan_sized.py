#!/usr/bin/python3
"""bench/configs/pacgan_sized.toml in PyTorch, for timing side by side with `advnet bench train`.

G: 2→400→400→400→400→2, each hidden Linear followed by BatchNorm1d and ReLU (torch's default init);
D: three maxout layers of 200 units × 5 pieces, then Linear 200→1 (sigmoid folded into the loss);
batch 100, k = 1, non-saturating G loss, Adam lr 1e-4, β = (0.5, 0.999), Gaussian noise of 2 dims.
Data: the 5 × 5 grid of Gaussians (spacing 2, std 0.05) drawn here. With --checkpoint: an advnet
checkpoint's weights, BatchNorm statistics and Adam states (steady.py). One JSON line.

usage: torch_pacgan_sized.py --iters N [--warmup W] [--threads T] [--order O] [--checkpoint CKPT] [--flush-denormal]
"""
import argparse

import torch
import torch.nn as nn

import steady
from torch_paper_mnist import Maxout


def build():
    layers = []
    width = 2
    for _ in range(4):
        layers += [nn.Linear(width, 400), nn.BatchNorm1d(400), nn.ReLU()]
        width = 400
    g = nn.Sequential(*layers, nn.Linear(400, 2))
    d = nn.Sequential(Maxout(2, 200, 5), Maxout(200, 200, 5), Maxout(200, 200, 5), nn.Linear(200, 1))
    return g, d


def main():
    ap = argparse.ArgumentParser()
    steady.add_arguments(ap)
    a = ap.parse_args()
    steady.setup(a)
    g, d = build()
    g_opt = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.5, 0.999))
    m = 100
    if a.checkpoint:
        steady.load_checkpoint(a.checkpoint, {"generator": g, "discriminator": d},
                               {"generator": g_opt, "discriminator": d_opt})
    centres = torch.tensor([[x, y] for x in (-4.0, -2.0, 0.0, 2.0, 4.0) for y in (-4.0, -2.0, 0.0, 2.0, 4.0)])

    def real():
        return centres[torch.randint(0, 25, (m,))] + 0.05 * torch.randn(m, 2)

    g.train()
    d.train()
    steady.run_timed(a, steady.make_iteration(a.order, g, d, g_opt, d_opt, real, lambda: torch.randn(m, 2), m))


if __name__ == "__main__":
    main()
