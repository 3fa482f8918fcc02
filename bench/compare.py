#!/usr/bin/python3
"""advnet against PyTorch and NumPy on this machine, in one run (`make bench`).

1. dnnl_sgemm peak (advnet_bench_core --peak-json).
2. Training iterations/s of the paper's MNIST GAN (alternating, k = 1): `advnet bench train` and
   bench/reference/torch_paper_mnist.py, alternating REPS repetitions; PyTorch gets the best of its
   thread settings (torch threads 1 or 2, OpenBLAS's environment as set here or unset), chosen first.
3. The Parzen protocol on 10 000 samples: `advnet eval parzen --samples` against
   bench/reference/parzen_numpy.py (float64, matrix products), alternating.
4. Peak memory (maximum resident set) of `advnet train configs/paper_mnist.toml` for one epoch.
5. Training iterations/s of configs/dcgan_mnist.toml against bench/reference/torch_dcgan_mnist.py,
   the same way as 2.
Prints medians and ratios; the last line is a JSON object with every figure.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
ADVNET = os.path.join(BUILD, "advnet")
REPS = int(os.environ.get("REPS", "5"))
ITERS = int(os.environ.get("ITERS", "200"))
THREADS = int(os.environ.get("THREADS", "2"))
DCGAN_ITERS = int(os.environ.get("DCGAN_ITERS", "40"))
ALT = ["--set", "training.update_order=\"alternating\""]


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_cmd(script, threads, iters):
    return ["/usr/bin/python3", os.path.join(ROOT, "bench/reference", script), "--iters", str(iters), "--threads", str(threads)]


def torch_env(unset_openblas):
    env = dict(os.environ)
    if unset_openblas:  # see the env skill: these variables slow a current OpenBLAS; unset both together
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def side_by_side(title, config, script, iters, torch_iters, extra=()):
    """advnet bench train on `config` against the PyTorch `script`: PyTorch's best thread setting
    first (short trials), then REPS alternating repetitions. Returns medians."""
    print(f"\n{title}")
    trials = []
    for threads in sorted({1, THREADS}):
        for unset in (False, True):
            r = run_json(torch_cmd(script, threads, max(3, torch_iters // 4)), torch_env(unset))
            trials.append((r["iters_per_s"], threads, unset))
            print(f"  pytorch trial: torch threads {threads}, OpenBLAS env {'unset' if unset else 'as set'}: "
                  f"{r['iters_per_s']:.2f} it/s")
    _, best_threads, best_unset = max(trials)
    adv, tor = [], []
    for rep in range(REPS):
        a = run_json([ADVNET, "bench", "train", "--config", os.path.join(ROOT, "configs", config), "--iters", str(iters),
                      "--threads", str(THREADS), "--json"] + list(extra))
        t = run_json(torch_cmd(script, best_threads, torch_iters), torch_env(best_unset))
        adv.append(a)
        tor.append(t["iters_per_s"])
        print(f"  rep {rep + 1}: advnet {a['iters_per_s']:.2f} it/s ({a['gflops']:.0f} GFLOP/s), pytorch {t['iters_per_s']:.2f} it/s")
    return {"advnet_iters_per_s": statistics.median(x["iters_per_s"] for x in adv),
            "advnet_gflops": statistics.median(x["gflops"] for x in adv),
            "pytorch_iters_per_s": statistics.median(tor), "pytorch_threads": best_threads,
            "pytorch_openblas_env_unset": best_unset}


def main():
    peak = run_json([os.path.join(BUILD, "bench/advnet_bench_core"), "--threads", str(THREADS), "--peak-json"])["gflops"]
    print(f"dnnl_sgemm peak, {THREADS} threads: {peak:.1f} GFLOP/s")

    mlp = side_by_side(f"paper MNIST GAN (alternating, batch 100), {THREADS} threads", "paper_mnist.toml",
                       "torch_paper_mnist.py", ITERS, ITERS // 4, ALT)
    dcgan = side_by_side(f"DCGAN MNIST (batch 128), {THREADS} threads", "dcgan_mnist.toml", "torch_dcgan_mnist.py",
                         DCGAN_ITERS, DCGAN_ITERS // 2)
    adv_ips, adv_gflops, torch_ips = mlp["advnet_iters_per_s"], mlp["advnet_gflops"], mlp["pytorch_iters_per_s"]
    best_threads, best_unset = mlp["pytorch_threads"], mlp["pytorch_openblas_env_unset"]

    with tempfile.TemporaryDirectory() as tmp:
        # A generator to sample: one short epoch is enough for timing.
        subprocess.run([ADVNET, "train", os.path.join(ROOT, "configs/paper_mnist.toml"), "--out", f"{tmp}/run", "--epochs", "1",
                        "--threads", str(THREADS), "--set", "data.train_range=[0,1000]", "--set", "eval.parzen_every=0"],
                       check=True, capture_output=True)
        subprocess.run([ADVNET, "sample", f"{tmp}/run/checkpoints/latest.safetensors", "-n", "10000", "--out", f"{tmp}/s.npy"],
                       check=True, capture_output=True)
        pa, pn = [], []
        for rep in range(3):
            pa.append(run_json([ADVNET, "eval", "parzen", "--samples", f"{tmp}/s.npy", "--data", os.path.join(ROOT, "data/mnist"),
                                "--threads", str(THREADS), "--json"]))
            pn.append(run_json(["/usr/bin/python3", os.path.join(ROOT, "bench/reference/parzen_numpy.py"), f"{tmp}/s.npy",
                                os.path.join(ROOT, "data/mnist")]))
        parzen_adv = statistics.median(x["seconds"] for x in pa)
        parzen_np = statistics.median(x["seconds"] for x in pn)
        agree = abs(pa[0]["mean"] - pn[0]["mean"])
        timed = subprocess.run(["/usr/bin/time", "-v", ADVNET, "train", os.path.join(ROOT, "configs/paper_mnist.toml"), "--out",
                                f"{tmp}/mem", "--epochs", "1", "--threads", str(THREADS)], capture_output=True, text=True, check=True)
        rss_mb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr).group(1)) / 1024

    result = {"threads": THREADS, "gemm_peak_gflops": peak, "advnet_iters_per_s": adv_ips, "advnet_gflops": adv_gflops,
              "fraction_of_peak": adv_gflops / peak, "pytorch_iters_per_s": torch_ips, "ratio": adv_ips / torch_ips,
              "pytorch_threads": best_threads, "pytorch_openblas_env_unset": best_unset,
              "parzen_seconds_advnet": parzen_adv, "parzen_seconds_numpy": parzen_np, "parzen_speedup": parzen_np / parzen_adv,
              "parzen_mean_difference_nats": agree, "train_peak_rss_mb": rss_mb, "reps": REPS,
              "dcgan_advnet_iters_per_s": dcgan["advnet_iters_per_s"], "dcgan_advnet_gflops": dcgan["advnet_gflops"],
              "dcgan_pytorch_iters_per_s": dcgan["pytorch_iters_per_s"], "dcgan_pytorch_threads": dcgan["pytorch_threads"],
              "dcgan_ratio": dcgan["advnet_iters_per_s"] / dcgan["pytorch_iters_per_s"]}
    print(f"\ntraining, paper MNIST GAN, batch 100, {THREADS} threads (medians of {REPS}):")
    print(f"  advnet   {adv_ips:8.2f} it/s  {adv_gflops:6.1f} GFLOP/s = {100 * adv_gflops / peak:.0f}% of the GEMM peak")
    print(f"  pytorch  {torch_ips:8.2f} it/s  (torch threads {best_threads}, OpenBLAS env {'unset' if best_unset else 'as set'})")
    print(f"  ratio    {adv_ips / torch_ips:8.2f}x")
    print(f"Parzen protocol (10 000 samples, 10 sigmas on 1 000 valid, 10 000 test): advnet {parzen_adv:.2f} s, "
          f"NumPy float64 {parzen_np:.2f} s: {parzen_np / parzen_adv:.1f}x (means differ by {agree:.2e} nats)")
    print(f"\ntraining, DCGAN MNIST, batch 128, {THREADS} threads (medians of {REPS}):")
    print(f"  advnet   {dcgan['advnet_iters_per_s']:8.2f} it/s  {dcgan['advnet_gflops']:6.1f} GFLOP/s = "
          f"{100 * dcgan['advnet_gflops'] / peak:.0f}% of the GEMM peak")
    print(f"  pytorch  {dcgan['pytorch_iters_per_s']:8.2f} it/s  (torch threads {dcgan['pytorch_threads']})")
    print(f"  ratio    {dcgan['advnet_iters_per_s'] / dcgan['pytorch_iters_per_s']:8.2f}x")
    print(f"peak memory of training the paper's MNIST config: {rss_mb:.0f} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
