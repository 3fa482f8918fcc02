#!/usr/bin/python3
"""Writes tests/golden/conv_nets.bin: PyTorch's numbers for advnet's convolutional layers and nets.

Run with Debian's python3-torch:  make golden   (= this script and make_golden.py)
Same file format as make_golden.py (see its docstring); tensors over 100 000 elements are stored as
row sums, column sums and sampled entries.

Layer cases (prefix "<case>."): each stores the input x, every parameter (torch's own default
initialisation, seeded), the upstream gradient r, and PyTorch's output y, input gradient dx and
parameter gradients d.<name> of f = <y, r>. BatchNorm cases also store the running statistics
after the step (buffer.<name>).

Whole nets ("<config>.g.*", "<config>.d.*"): the generator and discriminator of a shipped config
(configs/*.toml, read with tomllib and built from the same layer list advnet reads), parameters from
the counter hash of golden_test.cpp in named-parameter order (see hashed_value below), a batch of
noise and data; stored: G(z), D(x), D(G(z)), both losses of the game, every parameter gradient and
the input gradients.
"""
import sys
import tomllib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
import make_golden as mg  # noqa: E402  (the file format and the counter hash)

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]


def put(name, t):
    mg.put(name, t)


def layer_case(tag, module, x, extra_params=None, train=True):
    """A torch module (or a function with params) applied to x; stores everything listed above."""
    torch.manual_seed(sum(tag.encode()))  # str hash() is salted per process
    module.train(train)
    x = x.clone().requires_grad_(True)
    params = dict(module.named_parameters())
    if extra_params:
        params.update(extra_params)
    for name, p in params.items():
        if name.endswith("weight") and isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            with torch.no_grad():
                p.uniform_(0.5, 1.5)
        if name.endswith("bias"):
            with torch.no_grad():
                p.uniform_(-0.5, 0.5)
    for name, p in params.items():
        put(f"{tag}.param.{name}", p)
    for name, b in module.named_buffers():
        if name != "num_batches_tracked":
            put(f"{tag}.buffer_before.{name}", b)
    put(f"{tag}.x", x)
    y = module(x)
    if extra_params and "untied_bias" in extra_params:
        y = y + extra_params["untied_bias"]
    r = torch.rand(y.shape) * 2 - 1
    put(f"{tag}.r", r)
    put(f"{tag}.y", y)
    grads = torch.autograd.grad((y * r).sum(), [x] + list(params.values()))
    put(f"{tag}.dx", grads[0])
    for (name, _), g in zip(params.items(), grads[1:]):
        put(f"{tag}.d.{name}", g)
    for name, b in module.named_buffers():
        if name != "num_batches_tracked":
            put(f"{tag}.buffer.{name}", b)


class MaxoutConv(torch.nn.Module):
    def __init__(self, cin, units, pieces, k, padding):
        super().__init__()
        self.conv = torch.nn.Conv2d(cin, units * pieces, k, padding=padding)
        self.units, self.pieces = units, pieces

    def forward(self, x):
        z = self.conv(x)
        n, _, h, w = z.shape
        return z.view(n, self.units, self.pieces, h, w).max(2)[0]


class PaddedConv(torch.nn.Module):
    """A convolution with `before` zero rows (columns) at the top (left) and `after` at the bottom (right)."""

    def __init__(self, cin, cout, k, stride, before, after):
        super().__init__()
        self.pad = (before, after, before, after)
        self.conv = torch.nn.Conv2d(cin, cout, k, stride=stride)

    def forward(self, x):
        return self.conv(F.pad(x, self.pad))


class CroppedDeconv(torch.nn.Module):
    """The transposed convolution whose forward convolution pads `before` and `after`: the unpadded
    transposed convolution's output with `before` rows (columns) cut at the top (left), `after` at the end."""

    def __init__(self, cin, cout, k, stride, before, after):
        super().__init__()
        self.before, self.after = before, after
        self.deconv = torch.nn.ConvTranspose2d(cin, cout, k, stride=stride)

    def forward(self, x):
        y = self.deconv(x)
        return y[:, :, self.before:y.shape[2] - self.after, self.before:y.shape[3] - self.after]


def layers():
    torch.manual_seed(0)
    layer_case("conv", torch.nn.Conv2d(3, 5, 3, stride=2, padding=1), torch.rand(4, 3, 9, 8) * 2 - 1)
    layer_case("conv_nobias", torch.nn.Conv2d(2, 3, 4, bias=False), torch.rand(3, 2, 7, 7) * 2 - 1)
    layer_case("deconv", torch.nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1, output_padding=1),
               torch.rand(3, 4, 5, 6) * 2 - 1)
    untied = torch.nn.ConvTranspose2d(3, 3, 5, stride=3, bias=False)
    ub = (torch.rand(3, 14, 14) - 0.5).requires_grad_(True)
    layer_case("deconv_untied", untied, torch.rand(2, 3, 4, 4) * 2 - 1, {"untied_bias": ub})
    layer_case("maxout_conv", MaxoutConv(3, 4, 2, 3, 1), torch.rand(3, 3, 6, 6) * 2 - 1)
    layer_case("pool_ceil", torch.nn.MaxPool2d(4, 2, ceil_mode=True), torch.rand(2, 3, 11, 11))
    layer_case("pool_pad", torch.nn.MaxPool2d(3, 2, padding=1), torch.rand(2, 2, 8, 7))
    layer_case("bn2d_train", torch.nn.BatchNorm2d(4), torch.rand(5, 4, 3, 3) * 3 - 1)
    bn = torch.nn.BatchNorm2d(4)
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    layer_case("bn2d_eval", bn, torch.rand(3, 4, 2, 2) * 3 - 1, train=False)
    layer_case("bn1d_train", torch.nn.BatchNorm1d(6), torch.rand(8, 6) * 2)
    # Padding 1 before and 2 after (TensorFlow's "SAME" for 5×5 stride 2): F.pad in front of a convolution,
    # a transposed convolution's output cropped.
    layer_case("conv_pad12", PaddedConv(3, 4, 5, 2, 1, 2), torch.rand(2, 3, 8, 8) * 2 - 1)
    layer_case("deconv_pad12", CroppedDeconv(3, 2, 5, 2, 1, 2), torch.rand(2, 3, 4, 4) * 2 - 1)
    # 7×7: (7 + 1 + 2 − 5) / 2 leaves a row over, so the last padded row is never read (oneDNN pads 1 after).
    layer_case("conv_pad12_odd", PaddedConv(2, 3, 5, 2, 1, 2), torch.rand(2, 2, 7, 7) * 2 - 1)


# ---- whole nets from a config ----

def hashed_value(shape, salt, kind):
    """Parameters of the whole-net cases: weights U(±1/√fan_in) (fan_in = numel/dim0), biases
    U(±0.1), BatchNorm weights U(0.5, 1.5); salt = 1000·net + index in named-parameter order."""
    n = int(np.prod(shape))
    if kind == "bn_weight":
        lo, hi = 0.5, 1.5
    elif kind == "bias":
        lo, hi = -0.1, 0.1
    else:
        r = 1.0 / np.sqrt(n / shape[0])
        lo, hi = -r, r
    return torch.from_numpy(mg.hash_uniform(n, salt, lo, hi).reshape(shape)).requires_grad_(True)


def build(specs, net_id):
    """advnet's layer list → (parameter dict in named-parameter order, forward function)."""
    params = {}
    counter = [0]

    def new(name, shape, kind):
        params[name] = hashed_value(shape, 1000 * net_id + counter[0], kind)
        counter[0] += 1
        return params[name]

    def forward(x, make=False):
        for i, s in enumerate(specs):
            t = s["type"]
            w = lambda: params[f"{i}.weight"]  # noqa: E731
            b = lambda: params.get(f"{i}.bias")  # noqa: E731
            if t in ("linear", "maxout"):
                out = s["units"] * s.get("pieces", 1)
                if make:
                    new(f"{i}.weight", (out, x.shape[1]), "weight")
                    if s.get("bias", True):
                        new(f"{i}.bias", (out,), "bias")
                x = F.linear(x, w(), b())
                if t == "maxout":
                    x = x.view(x.shape[0], s["units"], s["pieces"]).max(2)[0]
            elif t in ("conv2d", "maxout_conv"):
                out = s["channels"] if t == "conv2d" else s["units"] * s["pieces"]
                if make:
                    new(f"{i}.weight", (out, x.shape[1], s["kernel"], s["kernel"]), "weight")
                    if s.get("bias", True):
                        new(f"{i}.bias", (out,), "bias")
                p = s.get("padding", 0)
                q = s.get("padding_after", p)
                if q != p:  # padding before and after apart: F.pad in front
                    x = F.conv2d(F.pad(x, (p, q, p, q)), w(), b(), stride=s.get("stride", 1))
                else:
                    x = F.conv2d(x, w(), b(), stride=s.get("stride", 1), padding=p)
                if t == "maxout_conv":
                    n, _, h, ww = x.shape
                    x = x.view(n, s["units"], s["pieces"], h, ww).max(2)[0]
            elif t == "conv_transpose2d":
                st, p, op, k = s.get("stride", 1), s.get("padding", 0), s.get("output_padding", 0), s["kernel"]
                q = s.get("padding_after", p)
                ho = (x.shape[2] - 1) * st - p - q + k + op
                wo = (x.shape[3] - 1) * st - p - q + k + op
                if make:
                    new(f"{i}.weight", (x.shape[1], s["channels"], k, k), "weight")
                    if s.get("bias", True):
                        shape = (s["channels"], ho, wo) if s.get("untied_bias", False) else (s["channels"],)
                        new(f"{i}.bias", shape, "bias")
                untied = s.get("untied_bias", False)
                if q != p:  # padding before and after apart: the unpadded output, cropped
                    x = F.conv_transpose2d(x, w(), None if untied else b(), stride=st)[:, :, p:p + ho, p:p + wo]
                else:
                    x = F.conv_transpose2d(x, w(), None if untied else b(), stride=st, padding=p, output_padding=op)
                if untied and b() is not None:
                    x = x + b()
            elif t == "batch_norm":
                if make:
                    new(f"{i}.weight", (x.shape[1],), "bn_weight")
                    new(f"{i}.bias", (x.shape[1],), "bias")
                x = F.batch_norm(x, None, None, w(), b(), training=True, eps=s.get("eps", 1e-5))
            elif t == "max_pool2d":
                x = F.max_pool2d(x, s["kernel"], s.get("stride", s["kernel"]), s.get("padding", 0),
                                 ceil_mode=s.get("ceil_mode", False))
            elif t == "relu":
                x = F.relu(x)
            elif t == "leaky_relu":
                x = F.leaky_relu(x, s.get("slope", 0.2))
            elif t == "sigmoid":
                x = torch.sigmoid(x)
            elif t == "tanh":
                x = torch.tanh(x)
            elif t == "dropout":
                pass  # the whole-net cases run without dropout (eval mode in advnet)
            elif t == "flatten":
                x = x.reshape(x.shape[0], -1)
            elif t == "reshape":
                x = x.reshape(x.shape[0], *s["shape"])
            else:
                raise ValueError(t)
        return x

    return params, forward


def whole_nets(config, n):
    c = tomllib.loads((ROOT / "configs" / f"{config}.toml").read_text())
    g_specs, d_specs = c["generator"]["layers"], c["discriminator"]["layers"]
    assert d_specs[-1]["type"] == "sigmoid"
    gp, g = build(g_specs, 1)
    dp, d_logits = build(d_specs[:-1], 2)  # D's logits: all but the final sigmoid (no parameters)
    z = mg.tensor((n, c["noise"]["dim"]), 4001, -1.0, 1.0)
    g(z, make=True)
    x = mg.tensor((n, g(z).shape[1]), 4002, 0.0, 1.0)
    d_logits(x, make=True)
    z = z.clone().requires_grad_(True)
    x = x.clone().requires_grad_(True)
    sample = g(z)
    lr_, lf = d_logits(x), d_logits(sample)
    d_loss = 0.5 * (F.binary_cross_entropy_with_logits(lr_, torch.ones_like(lr_))
                    + F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))
    g_loss = F.binary_cross_entropy_with_logits(lf, torch.ones_like(lf))  # non-saturating
    d_grads = torch.autograd.grad(d_loss, list(dp.values()) + [x], retain_graph=True)
    g_grads = torch.autograd.grad(g_loss, list(gp.values()) + [z])
    put(f"{config}.z", z)
    put(f"{config}.x", x)
    put(f"{config}.g_out", sample)
    put(f"{config}.d_real", torch.sigmoid(lr_))
    put(f"{config}.d_fake", torch.sigmoid(lf))
    put(f"{config}.d_loss", d_loss.reshape(1))
    put(f"{config}.g_loss", g_loss.reshape(1))
    for name, gr in zip(list(dp.keys()) + ["input"], d_grads):
        put(f"{config}.d_grad.{name}", gr)
    for name, gr in zip(list(gp.keys()) + ["input"], g_grads):
        put(f"{config}.g_grad.{name}", gr)


def main():
    mg.records.clear()
    layers()
    whole_nets("dcgan_mnist", 6)
    whole_nets("paper_cifar10_conv", 3)
    whole_nets("pacgan_stacked_mnist", 4)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("conv_nets.bin")
    mg.write(out)
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(mg.records)} tensors, torch {torch.__version__})")


if __name__ == "__main__":
    main()
