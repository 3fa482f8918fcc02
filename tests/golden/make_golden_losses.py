#!/usr/bin/python3
"""Writes tests/golden/losses.bin: PyTorch's softmax cross-entropy (torch.nn.functional.cross_entropy,
reduction "mean") and its gradient on logits from make_golden.py's counter hash, for
tests/golden/loss_golden_test.cpp.

Run with Debian's python3-torch:  make golden   (= /usr/bin/python3 tests/golden/make_golden_losses.py)

Scenario "ce": 64 rows of 10 logits in [-8, 8), rows 0 and 1 scaled to +-100 (the log-sum-exp form must
stay finite), labels (i * 7) % 10 stored as float32; its loss (1,), its gradient (64, 10) in float64
arithmetic rounded to float32, the C++ test also checks scale 0.5 against the halved values.
The format is make_golden.py's (ADVGOLD1), whole tensors only.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from advgold import write_whole
from make_golden import hash_uniform

OUT = Path(__file__).resolve().parent / "losses.bin"

logits = hash_uniform(640, 41, -8.0, 8.0).reshape(64, 10).astype(np.float64)
logits[0] *= 12.5  # ±100
logits[1] *= -12.5
labels = np.array([(i * 7) % 10 for i in range(64)])

x = torch.tensor(logits.astype(np.float32).astype(np.float64), requires_grad=True)
loss = F.cross_entropy(x, torch.tensor(labels), reduction="mean")
(grad,) = torch.autograd.grad(loss, x)

records = {
    "ce.logits": logits.astype(np.float32),
    "ce.labels": labels.astype(np.float32),
    "ce.loss": np.array([loss.item()], dtype=np.float32),
    "ce.grad": grad.numpy().astype(np.float32),
}
write_whole(OUT, records)
print("wrote", OUT)
