#!/usr/bin/python3
"""configs/dcgan_mnist.toml data-parallel in PyTorch DDP (gloo over localhost), for timing side by side
with `mpirun -np P advnet train` (scripts/bench_distributed.sh).

The nets, losses and Adam of torch_dcgan_mnist.py; a global batch of 128 split over P processes, each
with its own real MNIST batches (the first 50 000 training images, its own permutation) and T threads.
As advnet's data-parallel run: D's and G's gradients are averaged over the ranks before each step
(DDP), BatchNorm keeps per-rank batch statistics and its running statistics are not broadcast at every
step (broadcast_buffers=False; advnet broadcasts them before evaluations and checkpoints only). The D step
runs D's real and generated passes separately (its BatchNorm must not mix them), summing their gradients
before one all-reduce (the first backward under no_sync); the G step goes through D's module unwrapped, so
that D's gradients are not all-reduced there. torch 1.13's SyncBatchNorm runs on CUDA only: there is no
CPU SyncBN to compare with. Rank 0 prints one JSON line.

usage: torch_ddp_dcgan_mnist.py --data DIR [--ranks 2] [--threads 1] [--iters 40] [--warmup 10]
"""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP

import steady
import torch_dcgan_mnist


def worker(rank, a, port):
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=a.ranks)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)  # every rank builds the same nets (DDP broadcasts rank 0's anyway)
    g, d = torch_dcgan_mnist.build()
    g, d = DDP(g, broadcast_buffers=False), DDP(d, broadcast_buffers=False)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    m = 128 // a.ranks
    real = steady.Batches(steady.mnist_images(a.data)[:50000], m, seed=rank).next
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)
    g.train()
    d.train()

    def iteration():
        x = real()
        with torch.no_grad():
            fake = g(torch.randn(m, 100))
        d_opt.zero_grad(set_to_none=True)
        with d.no_sync():  # the real pass's gradient waits for the generated pass's: one all-reduce
            (0.5 * steady.bce(d(x), ones)).backward()
        (0.5 * steady.bce(d(fake), zeros)).backward()
        d_opt.step()
        g_opt.zero_grad(set_to_none=True)
        for p in d.parameters():
            p.requires_grad_(False)
        steady.bce(d.module(g(torch.randn(m, 100))), ones).backward()
        for p in d.parameters():
            p.requires_grad_(True)
        g_opt.step()

    for _ in range(a.warmup):
        iteration()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(a.iters):
        iteration()
    dist.barrier()
    s = time.perf_counter() - t0
    if rank == 0:
        print(json.dumps({"impl": "pytorch-ddp", "torch": torch.__version__, "backend": "gloo", "ranks": a.ranks,
                          "threads": a.threads, "iters": a.iters, "seconds": s, "iters_per_s": a.iters / s,
                          "examples_per_s": 128 * a.iters / s}), flush=True)
    dist.destroy_process_group()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="the MNIST IDX directory")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--port", type=int, default=29517)
    a = ap.parse_args()
    if 128 % a.ranks:
        ap.error(f"--ranks {a.ranks} does not divide the global batch of 128")
    mp.spawn(worker, args=(a, a.port), nprocs=a.ranks)


if __name__ == "__main__":
    main()
