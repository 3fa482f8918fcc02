#!/usr/bin/python3
"""configs/dcgan_mnist.toml in PyTorch, for timing side by side with `advnet bench train`.

G: Linear 100→6272 (no bias), BatchNorm1d, ReLU, view (128, 7, 7), ConvTranspose2d 128→64 k4 s2 p1
(no bias), BatchNorm2d, ReLU, ConvTranspose2d 64→1 k4 s2 p1, sigmoid, flatten;
D: view (1, 28, 28), Conv2d 1→64 k4 s2 p1, LeakyReLU 0.2, Conv2d 64→128 k4 s2 p1 (no bias),
BatchNorm2d, LeakyReLU 0.2, flatten, Linear 6272→1 (sigmoid folded into the loss); N(0, 0.02) weights; batch 128, k = 1,
alternating, non-saturating G loss, Adam lr 2e-4, β = (0.5, 0.999), Gaussian noise.
Without --checkpoint: initial weights on random pixels of MNIST's shape; with --checkpoint CKPT --data DIR:
an advnet checkpoint's weights, BatchNorm statistics and Adam states on real MNIST batches (steady.py).
Prints one JSON line.

usage: torch_dcgan_mnist.py --iters N [--warmup W] [--threads T] [--order O] [--checkpoint CKPT --data DIR]
                            [--flush-denormal]
"""
import argparse
import torch
import torch.nn as nn

import steady


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
    steady.add_arguments(ap)
    a = ap.parse_args()
    steady.setup(a)
    g, d = build()
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    m = 128
    if a.checkpoint:
        steady.load_checkpoint(a.checkpoint, {"generator": g, "discriminator": d},
                               {"generator": g_opt, "discriminator": d_opt})
    real = steady.image_batches(a, m)

    g.train()
    d.train()
    steady.run_timed(a, steady.make_iteration(a.order, g, d, g_opt, d_opt, real, lambda: torch.randn(m, 100), m))


if __name__ == "__main__":
    main()
