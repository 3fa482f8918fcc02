#!/usr/bin/python3
"""advnet against PyTorch and NumPy on this machine, in one run (`make bench`).

1. Training iterations/s of the paper's MNIST GAN (alternating, k = 1): `advnet bench train` and
   bench/reference/torch_paper_mnist.py, alternating REPS repetitions; PyTorch gets the best of its
   thread settings (torch threads 1 or 2, OpenBLAS's environment as set here or unset), chosen first.
   Before each repetition, the dnnl_sgemm peak (advnet_bench_core --peak-json: the best of several
   warm 2048³ SGEMMs at the same thread count), so that machine noise hits both; the peak is the best
   of all of them.
2. The Parzen protocol on 10 000 samples: `advnet eval parzen --samples` against
   bench/reference/parzen_numpy.py (float64, matrix products), alternating.
3. Peak memory (maximum resident set) of `advnet train configs/paper_mnist.toml` for one epoch.
4. Training iterations/s of configs/dcgan_mnist.toml against bench/reference/torch_dcgan_mnist.py,
   the same way as 1.
5. The steady state, where users train: advnet and PyTorch both start from the same trained
   checkpoint (runs/bench/: the paper config after 10 epochs, the DCGAN after 2, the PacGAN-sized
   2-D GAN of bench/configs/pacgan_sized.toml after 3; trained once, then reused) and time
   iterations on real batches; the paper net in its own order (simultaneous) and in Algorithm 1's
   (alternating). PyTorch's best setting now also tries torch.set_flush_denormal(True). Each row
   also gives the fraction of advnet's time inside oneDNN primitives (GEMM, matmul, convolution)
   and the primitives it created while timed (0: none after warm-up).
6. The whole `advnet eval metrics --samples` (10 000 samples of a G against the 10 000 test images, the
   shipped MNIST classifier, the reference features computed each time: an empty cache) against
   bench/reference/metrics_torch_numpy.py (the classifier in PyTorch, the metrics in float64 NumPy/SciPy as
   pytorch-fid, torch-fidelity and prdc compute them; OpenBLAS's environment unset), alternating.
Prints each figure as median (min–max over the repetitions) and the ratios of each alternating pair;
the last line is a JSON object with every figure. `ONLY=eval bench/compare.py` runs 2, 3 and 6 alone.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
ADVNET = os.path.join(BUILD, "advnet")
REPS = int(os.environ.get("REPS", "5"))
ITERS = int(os.environ.get("ITERS", "200"))
THREADS = int(os.environ.get("THREADS", "2"))
DCGAN_ITERS = int(os.environ.get("DCGAN_ITERS", "40"))
PACGAN_ITERS = int(os.environ.get("PACGAN_ITERS", "300"))
ALT = ["--set", "training.update_order=\"alternating\""]


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def torch_cmd(script, threads, iters, extra=()):
    return ["/usr/bin/python3", os.path.join(ROOT, "bench/reference", script), "--iters", str(iters), "--threads",
            str(threads)] + list(extra)


def torch_env(unset_openblas):
    env = dict(os.environ)
    if unset_openblas:  # see the env skill: these variables slow a current OpenBLAS; unset both together
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def spread(xs):
    """(min, median, max)"""
    return min(xs), statistics.median(xs), max(xs)


def fmt(xs, digits=2):
    lo, mid, hi = spread(xs)
    return f"{mid:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def measure_peak(peaks):
    peaks.append(run_json([os.path.join(BUILD, "bench/advnet_bench_core"), "--threads", str(THREADS), "--reps", "3",
                           "--peak-json"])["gflops"])


def side_by_side(title, advnet_args, script, iters, torch_iters, peaks, torch_args=(), flush_trials=False):
    """`advnet bench train ADVNET_ARGS` against the PyTorch `script`: PyTorch's best setting first
    (short trials: torch threads 1 or THREADS, OpenBLAS's environment as set or unset, and with
    flush_trials torch.set_flush_denormal off or on), then REPS alternating repetitions, each after a
    measurement of the GEMM peak (appended to `peaks`). Returns the per-repetition figures."""
    print(f"\n{title}")
    trials = []
    for threads in sorted({1, THREADS}):
        for unset in (False, True):
            for flush in ((False, True) if flush_trials else (False,)):
                extra = list(torch_args) + (["--flush-denormal"] if flush else [])
                r = run_json(torch_cmd(script, threads, max(3, torch_iters // 4), extra), torch_env(unset))
                trials.append((r["iters_per_s"], threads, unset, flush))
                print(f"  pytorch trial: torch threads {threads}, OpenBLAS env {'unset' if unset else 'as set'}"
                      f"{', flush denormals ' + ('on' if flush else 'off') if flush_trials else ''}: {r['iters_per_s']:.2f} it/s")
    _, best_threads, best_unset, best_flush = max(trials)
    best_extra = list(torch_args) + (["--flush-denormal"] if best_flush else [])
    adv, tor = [], []
    for rep in range(REPS):
        measure_peak(peaks)
        a = run_json([ADVNET, "bench", "train"] + list(advnet_args) + ["--iters", str(iters), "--threads", str(THREADS),
                                                                     "--json"])
        t = run_json(torch_cmd(script, best_threads, torch_iters, best_extra), torch_env(best_unset))
        adv.append(a)
        tor.append(t["iters_per_s"])
        print(f"  rep {rep + 1}: GEMM peak {peaks[-1]:.0f} GFLOP/s, advnet {a['iters_per_s']:.2f} it/s "
              f"({a['gflops']:.0f} GFLOP/s, {100 * a['primitive_fraction']:.0f}% in primitives), pytorch "
              f"{t['iters_per_s']:.2f} it/s, ratio {a['iters_per_s'] / t['iters_per_s']:.2f}x")
    setting = (f"torch threads {best_threads}, OpenBLAS env {'unset' if best_unset else 'as set'}" +
               (f", flush denormals {'on' if best_flush else 'off'}" if flush_trials else ""))
    return {"advnet_iters_per_s": [x["iters_per_s"] for x in adv], "advnet_gflops": [x["gflops"] for x in adv],
            "primitive_fraction": [x["primitive_fraction"] for x in adv],
            "primitives_created": max(x["primitives_created"] for x in adv),
            "pytorch_iters_per_s": tor, "ratio": [x["iters_per_s"] / y for x, y in zip(adv, tor)],
            "pytorch_threads": best_threads, "pytorch_openblas_env_unset": best_unset, "pytorch_flush_denormal": best_flush,
            "pytorch_setting": setting}


def trained_checkpoint(name, config, epochs, extra=()):
    """runs/bench/NAME after EPOCHS epochs of CONFIG (trained once, then reused): the steady state."""
    out = os.path.join(ROOT, "runs", "bench", name)
    ckpt = os.path.join(out, "checkpoints", "latest.safetensors")
    if not os.path.exists(ckpt):
        print(f"training {config} for {epochs} epochs into {out} (once; later runs reuse it)", flush=True)
        subprocess.run([ADVNET, "train", os.path.join(ROOT, config), "--out", out, "--epochs", str(epochs), "--threads",
                        str(THREADS), "--set", "output.sample_every=0", "--set", "output.checkpoint_every=0"] + list(extra),
                       check=True, capture_output=True, cwd=ROOT)
    return ckpt


def report(title, r, peak, torch_setting):
    """Prints one training comparison; fractions of the peak only where they can be one."""
    print(f"\n{title} (median (min–max) of {REPS}):")
    fractions = [g / peak for g in r["advnet_gflops"]]
    if max(fractions) <= 1.0:
        of_peak = f" = {100 * statistics.median(fractions):.0f}% ({100 * min(fractions):.0f}–{100 * max(fractions):.0f}%) of the GEMM peak"
    else:  # the peak was not one: say so rather than print a fraction above 100%
        of_peak = f"; above the measured GEMM peak ({peak:.0f} GFLOP/s), which was no peak: no fraction reported"
    print(f"  advnet   {fmt(r['advnet_iters_per_s'])} it/s  {fmt(r['advnet_gflops'], 1)} GFLOP/s{of_peak}; "
          f"{fmt([100 * x for x in r['primitive_fraction']], 0)}% of the time inside oneDNN primitives, "
          f"{r['primitives_created']} primitives created while timed")
    print(f"  pytorch  {fmt(r['pytorch_iters_per_s'])} it/s  ({torch_setting})")
    print(f"  ratio    {fmt(r['ratio'])}x  (median of the {REPS} alternating pairs; ratio of medians "
          f"{statistics.median(r['advnet_iters_per_s']) / statistics.median(r['pytorch_iters_per_s']):.2f}x)")
    return fractions


def eval_figures():
    """Sections 2, 3 and 6: the Parzen protocol, eval metrics (alternating pairs) and training's peak memory."""
    mnist = os.path.join(ROOT, "data/mnist")
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
        parzen_adv = [x["seconds"] for x in pa]
        parzen_np = [x["seconds"] for x in pn]
        agree = abs(pa[0]["mean"] - pn[0]["mean"])
        classifier = os.path.join(ROOT, "models/classifier_mnist.safetensors")
        ma, mn, mr = [], [], []
        for rep in range(3):
            env = dict(os.environ, XDG_CACHE_HOME=f"{tmp}/cache{rep}")  # no cached reference features
            t0 = time.perf_counter()
            mr.append(run_json([ADVNET, "eval", "metrics", "--samples", f"{tmp}/s.npy", "--data", mnist, "--classifier",
                                classifier, "--threads", str(THREADS), "--json"], env))
            ma.append(time.perf_counter() - t0)
            mn.append(run_json(["/usr/bin/python3", os.path.join(ROOT, "bench/reference/metrics_torch_numpy.py"), f"{tmp}/s.npy",
                                classifier, mnist, "--threads", str(THREADS)], torch_env(True)))
        metrics_np = [x["seconds"] for x in mn]
        fid_agree = abs(mr[0]["fid"] - mn[0]["fid"])
        timed = subprocess.run(["/usr/bin/time", "-v", ADVNET, "train", os.path.join(ROOT, "configs/paper_mnist.toml"), "--out",
                                f"{tmp}/mem", "--epochs", "1", "--threads", str(THREADS)], capture_output=True, text=True, check=True)
        rss_mb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timed.stderr).group(1)) / 1024

    return {"parzen_adv": parzen_adv, "parzen_np": parzen_np, "parzen_agree": agree, "metrics_adv": ma,
            "metrics_np": metrics_np, "metrics_ratios": [n / a for n, a in zip(metrics_np, ma)],
            "fid_adv": mr[0]["fid"], "fid_np": mn[0]["fid"], "fid_agree": fid_agree, "rss_mb": rss_mb}


def print_eval(e):
    print(f"Parzen protocol (10 000 samples, 10 sigmas on 1 000 valid, 10 000 test): advnet {fmt(e['parzen_adv'])} s, "
          f"NumPy float64 {fmt(e['parzen_np'])} s: {statistics.median(e['parzen_np']) / statistics.median(e['parzen_adv']):.1f}x "
          f"(means differ by {e['parzen_agree']:.2e} nats)")
    print(f"eval metrics (10 000 samples, 10 000 test images, FID/KID/IS/PR/DC, reference features computed): advnet "
          f"{fmt(e['metrics_adv'])} s (whole command), PyTorch + NumPy/SciPy {fmt(e['metrics_np'])} s: "
          f"{statistics.median(e['metrics_ratios']):.1f}x (pairs {fmt(e['metrics_ratios'], 1)}; "
          f"FID {e['fid_adv']:.4f} vs {e['fid_np']:.4f})")


def main():
    if os.environ.get("ONLY") == "eval":  # `ONLY=eval bench/compare.py`: sections 2, 3 and 6 alone
        e = eval_figures()
        print_eval(e)
        print(json.dumps(e))
        return 0
    peaks = []
    cfg = lambda name: ["--config", os.path.join(ROOT, "configs", name)]
    # Start of training: initial weights, random data (what `make bench` measured before December 2026).
    mlp = side_by_side(f"paper MNIST GAN, start of training (alternating, batch 100), {THREADS} threads",
                       cfg("paper_mnist.toml") + ALT, "torch_paper_mnist.py", ITERS, ITERS // 4, peaks)
    dcgan = side_by_side(f"DCGAN MNIST, start of training (batch 128), {THREADS} threads", cfg("dcgan_mnist.toml"),
                         "torch_dcgan_mnist.py", DCGAN_ITERS, DCGAN_ITERS // 2, peaks)
    # Steady state: both start from the same trained checkpoint, on real batches, PyTorch's best
    # setting chosen with and without flushing denormals.
    mnist = os.path.join(ROOT, "data/mnist")
    paper_ckpt = trained_checkpoint("paper_mnist_10", "configs/paper_mnist.toml", 10, ["--set", "eval.parzen_every=0"])
    dcgan_ckpt = trained_checkpoint("dcgan_mnist_2", "configs/dcgan_mnist.toml", 2, ["--set", "eval.parzen_every=0"])
    pacgan_ckpt = trained_checkpoint("pacgan_sized_3", "bench/configs/pacgan_sized.toml", 3)
    steady = {}
    for order in ("simultaneous", "alternating"):
        steady[f"paper_{order}"] = side_by_side(
            f"paper MNIST GAN, steady state (epoch 10, real batches, {order}), {THREADS} threads",
            ["--checkpoint", paper_ckpt, "--data", mnist, "--set", f"training.update_order=\"{order}\""],
            "torch_paper_mnist.py", ITERS, ITERS // 4, peaks,
            ["--checkpoint", paper_ckpt, "--data", mnist, "--order", order], flush_trials=True)
    steady["dcgan"] = side_by_side(f"DCGAN MNIST, steady state (epoch 2, real batches, alternating), {THREADS} threads",
                                   ["--checkpoint", dcgan_ckpt, "--data", mnist], "torch_dcgan_mnist.py", DCGAN_ITERS,
                                   DCGAN_ITERS // 2, peaks, ["--checkpoint", dcgan_ckpt, "--data", mnist],
                                   flush_trials=True)
    steady["pacgan_sized"] = side_by_side(
        f"PacGAN-sized 2-D GAN, steady state (epoch 3, alternating), {THREADS} threads", ["--checkpoint", pacgan_ckpt],
        "torch_pacgan_sized.py", PACGAN_ITERS, PACGAN_ITERS // 3, peaks, ["--checkpoint", pacgan_ckpt], flush_trials=True)
    measure_peak(peaks)

    e = eval_figures()

    peak = max(peaks)
    print(f"\ndnnl_sgemm peak, {THREADS} threads: {peak:.1f} GFLOP/s (best of {len(peaks)} measurements between the "
          f"repetitions; they ranged {min(peaks):.0f}–{max(peaks):.0f})")
    mlp_fractions = report(f"training from initial weights, paper MNIST GAN, alternating, batch 100, {THREADS} threads",
                           mlp, peak, mlp["pytorch_setting"])
    print_eval(e)
    dcgan_fractions = report(f"training from initial weights, DCGAN MNIST, batch 128, {THREADS} threads", dcgan, peak,
                             dcgan["pytorch_setting"])
    print("\nSTEADY STATE: from the same trained checkpoint, real batches")
    steady_fractions = {}
    for key, r in steady.items():
        steady_fractions[key] = report(f"steady state, {key}, {THREADS} threads", r, peak, r["pytorch_setting"])
    print(f"peak memory of training the paper's MNIST config: {e['rss_mb']:.0f} MB")

    med = statistics.median
    result = {"threads": THREADS, "reps": REPS, "gemm_peak_gflops": peak, "gemm_peak_measurements": peaks,
              "advnet_iters_per_s": med(mlp["advnet_iters_per_s"]), "advnet_iters_per_s_spread": spread(mlp["advnet_iters_per_s"]),
              "advnet_gflops": med(mlp["advnet_gflops"]), "fraction_of_peak": med(mlp_fractions),
              "pytorch_iters_per_s": med(mlp["pytorch_iters_per_s"]), "pytorch_iters_per_s_spread": spread(mlp["pytorch_iters_per_s"]),
              "ratio": med(mlp["ratio"]), "ratio_spread": spread(mlp["ratio"]),
              "pytorch_threads": mlp["pytorch_threads"], "pytorch_openblas_env_unset": mlp["pytorch_openblas_env_unset"],
              "parzen_seconds_advnet": med(e["parzen_adv"]), "parzen_seconds_numpy": med(e["parzen_np"]),
              "parzen_speedup": med(e["parzen_np"]) / med(e["parzen_adv"]), "parzen_mean_difference_nats": e["parzen_agree"],
              "train_peak_rss_mb": e["rss_mb"],
              "metrics_seconds_advnet": med(e["metrics_adv"]), "metrics_seconds_torch_numpy": med(e["metrics_np"]),
              "metrics_speedup": med(e["metrics_ratios"]), "metrics_speedup_spread": spread(e["metrics_ratios"]),
              "metrics_fid_difference": e["fid_agree"],
              "dcgan_advnet_iters_per_s": med(dcgan["advnet_iters_per_s"]), "dcgan_advnet_gflops": med(dcgan["advnet_gflops"]),
              "dcgan_fraction_of_peak": med(dcgan_fractions),
              "dcgan_pytorch_iters_per_s": med(dcgan["pytorch_iters_per_s"]), "dcgan_pytorch_threads": dcgan["pytorch_threads"],
              "dcgan_ratio": med(dcgan["ratio"]), "dcgan_ratio_spread": spread(dcgan["ratio"])}
    for key, r in steady.items():
        result[f"steady_{key}"] = {
            "advnet_iters_per_s": med(r["advnet_iters_per_s"]), "advnet_iters_per_s_spread": spread(r["advnet_iters_per_s"]),
            "advnet_gflops": med(r["advnet_gflops"]), "fraction_of_peak": med(steady_fractions[key]),
            "primitive_fraction": med(r["primitive_fraction"]), "primitives_created": r["primitives_created"],
            "pytorch_iters_per_s": med(r["pytorch_iters_per_s"]), "pytorch_setting": r["pytorch_setting"],
            "ratio": med(r["ratio"]), "ratio_spread": spread(r["ratio"])}
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
