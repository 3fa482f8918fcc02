#!/usr/bin/python3
"""The paper's MNIST GAN in PyTorch, for timing side by side with `advnet bench train`.

Same model and step as configs/paper_mnist.toml:
G: Linear 100→1200, ReLU, Linear 1200→1200, ReLU, Linear 1200→784, sigmoid (uniform init ±0.05);
D: dropout(0.8) → maxout 240×5 → dropout(0.5) → maxout 240×5 → dropout(0.5) → Linear 240→1, sigmoid;
batch 100, k = 1, non-saturating G loss, SGD lr 0.1 momentum 0.5 (torch form), losses on logits.
Without --checkpoint: initial weights on random pixels of MNIST's shape (the start of training).
With --checkpoint CKPT --data DIR: an advnet checkpoint's weights and momenta (steady.py) on
real MNIST batches. --order: alternating (Algorithm 1) or simultaneous (the config's). One JSON line.

usage: torch_paper_mnist.py --iters N [--warmup W] [--threads T] [--order O] [--checkpoint CKPT --data DIR]
                            [--flush-denormal]
"""
import argparse
import math

import torch
import torch.nn as nn

import steady


class Maxout(nn.Module):
    def __init__(self, d_in, units, pieces):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(d_in, units * pieces)

    def forward(self, x):
        return self.linear(x).view(x.shape[0], self.units, self.pieces).max(2).values


def build():
    g = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(), nn.Linear(1200, 784),
                      nn.Sigmoid())
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
    steady.add_arguments(ap)
    a = ap.parse_args()
    steady.setup(a)
    g, d = build()
    lr = 0.1
    g_opt = torch.optim.SGD(g.parameters(), lr=lr, momentum=0.5)
    d_opt = torch.optim.SGD(d.parameters(), lr=lr, momentum=0.5)
    m = 100
    if a.checkpoint:
        steady.load_checkpoint(a.checkpoint, {"generator": g, "discriminator": d},
                               {"generator": g_opt, "discriminator": d_opt}, sgd_lr=lr)
    real = steady.image_batches(a, m)

    def noise():
        return torch.rand(m, 100) * (2 * math.sqrt(3)) - math.sqrt(3)

    g.train()
    d.train()
    steady.run_timed(a, steady.make_iteration(a.order, g, d, g_opt, d_opt, real, noise, m))


if __name__ == "__main__":
    main()
