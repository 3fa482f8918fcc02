#!/usr/bin/python3
"""The Parzen-window protocol (PAPER.md §6) in vectorised float64 NumPy, for timing beside
`advnet eval parzen --samples`: distances through matrix products, log-mean-exp with the maximum
subtracted, σ chosen among logspace(−1, 0, 10) on the first 1 000 validation examples, then the
mean ± standard error over the 10 000 test examples. Prints one JSON line (time excludes loading).

usage: parzen_numpy.py SAMPLES.npy MNIST_DIR
"""
import gzip
import json
import os
import sys
import time

import numpy as np


def idx_images(path):
    opener = gzip.open if not os.path.exists(path) else open
    with opener(path if os.path.exists(path) else path + ".gz", "rb") as f:
        b = f.read()
    n, r, c = np.frombuffer(b[4:16], dtype=">u4")
    return np.frombuffer(b[16:], dtype=np.uint8).reshape(n, r * c).astype(np.float64) / 255.0


def log_likelihood(x, mu, sigmas, block=1000):
    """(len(sigmas), N) log p(x_i) for each σ."""
    mu_sq = (mu * mu).sum(1)
    d = mu.shape[1]
    out = np.empty((len(sigmas), x.shape[0]))
    for b in range(0, x.shape[0], block):
        xb = x[b:b + block]
        dist = (xb * xb).sum(1)[:, None] + mu_sq[None, :] - 2.0 * xb @ mu.T
        np.maximum(dist, 0.0, out=dist)
        for s, sigma in enumerate(sigmas):
            a = -dist / (2 * sigma * sigma)
            m = a.max(1)
            out[s, b:b + block] = m + np.log(np.exp(a - m[:, None]).mean(1)) - d * np.log(sigma * np.sqrt(2 * np.pi))
    return out


def main():
    samples = np.load(sys.argv[1]).astype(np.float64)
    train = idx_images(os.path.join(sys.argv[2], "train-images-idx3-ubyte"))
    test = idx_images(os.path.join(sys.argv[2], "t10k-images-idx3-ubyte"))
    valid = train[50000:51000]
    t0 = time.perf_counter()
    sigmas = np.logspace(-1, 0, 10)
    v = log_likelihood(valid, samples, sigmas).mean(1)
    sigma = sigmas[int(np.argmax(v))]
    ll = log_likelihood(test, samples, [sigma])[0]
    s = time.perf_counter() - t0
    print(json.dumps({"impl": "numpy", "sigma": float(sigma), "mean": float(ll.mean()),
                      "se": float(ll.std() / np.sqrt(len(ll))), "n": int(len(ll)), "seconds": s}))


if __name__ == "__main__":
    main()
