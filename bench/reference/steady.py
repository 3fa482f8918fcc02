"""What the PyTorch benchmark scripts share for the steady-state figures of `make bench`.

- load_checkpoint: an advnet checkpoint (safetensors, read with the standard library and NumPy) into
  torch modules by their torch.nn.Sequential names (advnet's maxout weight "1.weight" is the
  reference Maxout module's "1.linear.weight"), with the optimizer states: Adam's m, v and step as
  exp_avg, exp_avg_sq and step; pylearn2-form SGD's velocity v (θ ← θ + v) as torch's momentum
  buffer b = −v/lr (θ ← θ − lr·b: the same update at a constant learning rate).
- mnist_images: the real training images (IDX files), for batches of real data.
- run_timed: warm-up, then timed iterations; one JSON line.
"""
import json
import os
import struct
import time

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] in ("F32", "I64"), (name, t["dtype"])
        a, b = t["data_offsets"]
        dtype = "<f4" if t["dtype"] == "F32" else "<i8"
        tensors[name] = torch.from_numpy(np.frombuffer(body[a:b], dtype=dtype).reshape(t["shape"]).copy())
    return tensors, meta


def advnet_name(torch_name):
    return torch_name.replace(".linear.", ".")


def load_checkpoint(path, nets, optimizers, sgd_lr=None):
    """nets: {"generator": module, "discriminator": module}; optimizers the same keys. Every
    parameter and buffer of the modules must be in the checkpoint."""
    tensors, meta = read_safetensors(path)
    for prefix, net in nets.items():
        state = net.state_dict()
        for k in state:
            src = tensors[f"{prefix}.{advnet_name(k)}"]
            state[k] = src.to(state[k].dtype).reshape(state[k].shape)
        net.load_state_dict(state)
        opt = optimizers[prefix]
        for k, p in net.named_parameters():
            base = f"optimizer.{prefix}"
            if isinstance(opt, torch.optim.Adam):
                st = opt.state[p]
                st["exp_avg"] = tensors[f"{base}.m.{advnet_name(k)}"].reshape(p.shape).clone()
                st["exp_avg_sq"] = tensors[f"{base}.v.{advnet_name(k)}"].reshape(p.shape).clone()
                st["step"] = torch.tensor(float(tensors[f"{base}.step"][0]))
            else:
                v = tensors[f"{base}.velocity.{advnet_name(k)}"].reshape(p.shape)
                opt.state[p]["momentum_buffer"] = (-v / sgd_lr).clone()
    return meta


def mnist_images(data_dir):
    """(60000, 784) float32 in [0, 1]."""
    with open(os.path.join(data_dir, "train-images-idx3-ubyte"), "rb") as f:
        _, n, h, w = struct.unpack(">IIII", f.read(16))
        x = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, h * w)
    return torch.from_numpy(x.astype(np.float32) / 255.0)


class Batches:
    """Shuffled real batches of m rows, a new permutation each epoch (as advnet's batcher)."""

    def __init__(self, data, m, seed=0):
        self.data, self.m, self.gen = data, m, torch.Generator().manual_seed(seed)
        self.perm, self.i = None, 0

    def next(self):
        if self.perm is None or (self.i + 1) * self.m > len(self.perm):
            self.perm, self.i = torch.randperm(len(self.data), generator=self.gen), 0
        idx = self.perm[self.i * self.m:(self.i + 1) * self.m]
        self.i += 1
        return self.data[idx]


def image_batches(a, m):
    """real(): batches of m MNIST-shaped rows: shuffled real training images with --checkpoint (the
    first 50 000, advnet's training split), otherwise 16 fixed batches of random pixels (timing only)."""
    if a.checkpoint:
        return Batches(mnist_images(a.data)[:50000], m).next
    data = torch.rand(16 * m, 784)
    counter = [0]

    def real():
        i = counter[0] % 16
        counter[0] += 1
        return data[i * m:(i + 1) * m]

    return real


def add_arguments(ap):
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint", help="an advnet checkpoint: start from its weights and optimizer states")
    ap.add_argument("--data", help="with --checkpoint: the real training data (MNIST IDX directory)")
    ap.add_argument("--order", choices=["alternating", "simultaneous"], default="alternating")
    ap.add_argument("--flush-denormal", action="store_true", help="torch.set_flush_denormal(True)")


def setup(a):
    torch.set_num_threads(a.threads)
    if a.flush_denormal:
        torch.set_flush_denormal(True)
    torch.manual_seed(0)


def run_timed(a, iteration):
    for i in range(a.warmup):
        iteration(i)
    t0 = time.perf_counter()
    for i in range(a.iters):
        iteration(i)
    s = time.perf_counter() - t0
    print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "threads": a.threads, "iters": a.iters,
                      "order": a.order, "state": "trained" if a.checkpoint else "initial",
                      "flush_denormal": a.flush_denormal, "seconds": s, "iters_per_s": a.iters / s}))


def bce(logits, target):
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, target)


def make_iteration(order, g, d, g_opt, d_opt, real, noise, m):
    """One training iteration as advnet runs it. alternating (Algorithm 1, k = 1): a D step on a real
    and a generated batch (G's output detached), then a G step on fresh noise (non-saturating loss,
    D's weights get no gradient). simultaneous (the reference code's): one noise batch; D's and G's
    gradients from the same forward passes; both nets step."""
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)
    d_params, g_params = list(d.parameters()), list(g.parameters())

    def alternating(i):
        x = real()
        with torch.no_grad():
            fake = g(noise())
        d_opt.zero_grad(set_to_none=True)
        d_loss = 0.5 * (bce(d(x), ones) + bce(d(fake), zeros))
        d_loss.backward()
        d_opt.step()
        for p in d_params:
            p.requires_grad_(False)
        g_opt.zero_grad(set_to_none=True)
        bce(d(g(noise())), ones).backward()
        g_opt.step()
        for p in d_params:
            p.requires_grad_(True)

    def simultaneous(i):
        x = real()
        fake = g(noise())
        d_fake = d(fake)
        d_loss = 0.5 * (bce(d(x), ones) + bce(d_fake, zeros))
        d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
        g_grads = torch.autograd.grad(bce(d_fake, ones), g_params)
        for p, gr in zip(d_params, d_grads):
            p.grad = gr
        for p, gr in zip(g_params, g_grads):
            p.grad = gr
        d_opt.step()
        g_opt.step()

    return alternating if order == "alternating" else simultaneous
