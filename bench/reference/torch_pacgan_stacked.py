#!/usr/bin/python3
"""configs/pacgan_stacked_mnist.toml in PyTorch, for timing side by side with `advnet bench train`.

G: Linear 100→2048, view (512, 2, 2), BatchNorm2d, ReLU, then ConvTranspose2d k5 s2 p2 to 256×4×4 (output
padding 1), 128×7×7 (0), 64×14×14 (1), 3×28×28 (1), BatchNorm2d and ReLU after each but the last, tanh,
flatten. D: view (3·pack, 28, 28), Conv2d k5 s2 p2 to 64, 128, 256, 512 channels, LeakyReLU 0.2 after each,
BatchNorm2d after all but the first, flatten, Linear 2048→1 (sigmoid folded into the loss). The config pads
1 before and 2 after where TensorFlow's "SAME" does (padding_after); torch has no such padding without an extra
F.pad or crop, so here every layer pads symmetrically to the same sizes: the same FLOPs. N(0, 0.02)
weights, zero biases; batch 64 packs; Adam lr 2e-4, β = (0.5, 0.999); z uniform on [−1, 1].
One iteration as the config runs it: a D step (the real and the generated batch through D separately,
D's loss the sum of the two BCE terms), then two G steps on the D step's noise (non-saturating loss).
Random pixels of the data's shape (timing only); with --pack G runs all pack·m rows in one pass (advnet: per-group
BatchNorm statistics, the same FLOPs). Prints one JSON line (steady.run_timed).

usage: torch_pacgan_stacked.py --iters N [--warmup W] [--threads T] [--pack M]
"""
import argparse

import torch
import torch.nn as nn

import steady


def build(pack):
    def up(cin, cout, op):
        return [nn.ConvTranspose2d(cin, cout, 5, 2, 2, output_padding=op), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5),
                nn.ReLU()]

    g = nn.Sequential(nn.Linear(100, 2048), nn.Unflatten(1, (512, 2, 2)), nn.BatchNorm2d(512), nn.ReLU(),
                      *up(512, 256, 1), *up(256, 128, 0), *up(128, 64, 1),
                      nn.ConvTranspose2d(64, 3, 5, 2, 2, output_padding=1), nn.Tanh(), nn.Flatten())
    d = nn.Sequential(nn.Unflatten(1, (3 * pack, 28, 28)), nn.Conv2d(3 * pack, 64, 5, 2, 2), nn.LeakyReLU(0.2),
                      nn.Conv2d(64, 128, 5, 2, 2), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                      nn.Conv2d(128, 256, 5, 2, 2), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
                      nn.Conv2d(256, 512, 5, 2, 2), nn.BatchNorm2d(512), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(2048, 1))
    for mod in list(g.modules()) + list(d.modules()):
        if isinstance(mod, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(mod.weight, 0.0, 0.02)
            nn.init.zeros_(mod.bias)
    return g, d


def main():
    ap = argparse.ArgumentParser()
    steady.add_arguments(ap)
    ap.add_argument("--pack", type=int, default=1)
    a = ap.parse_args()
    steady.setup(a)
    g, d = build(a.pack)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    m, width = 64, 3 * 28 * 28
    data = torch.rand(16 * m * a.pack, width)
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)
    d_params = list(d.parameters())

    def packed(x):  # (pack·m, width), the g-th member of every pack in rows g·m..: (m, pack·width)
        return x.view(a.pack, m, width).transpose(0, 1).reshape(m, a.pack * width)

    def iteration(i):
        j = i % 16
        x = data[j * m * a.pack:(j + 1) * m * a.pack]
        z = torch.rand(m * a.pack, 100) * 2 - 1
        with torch.no_grad():
            fake = g(z)
        d_opt.zero_grad(set_to_none=True)
        (steady.bce(d(packed(x)), ones) + steady.bce(d(packed(fake)), zeros)).backward()
        d_opt.step()
        for p in d_params:
            p.requires_grad_(False)
        for _ in range(2):  # two G steps on the D step's noise
            g_opt.zero_grad(set_to_none=True)
            steady.bce(d(packed(g(z))), ones).backward()
            g_opt.step()
        for p in d_params:
            p.requires_grad_(True)

    g.train()
    d.train()
    steady.run_timed(a, iteration)


if __name__ == "__main__":
    main()
