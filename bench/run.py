"""Time ember against PyTorch on the workloads in bench/workloads_core.py and workloads_nn.py.

Both libraries run in this one process, on the same float32 data, with the same number of
threads; their repetitions alternate so that machine noise hits both alike. Prints, per workload,
the median times, the ratio ember/PyTorch (lower is better for ember) and a geomean row.

    python bench/run.py                          # all workloads
    python bench/run.py -w matmul mlp -r 30      # a subset, 30 repetitions each
    python bench/run.py --out bench/RESULTS.md   # also write a markdown report
    python bench/run.py --ember-module torch     # self-test of the runner (torch vs torch)
    python bench/run.py --device cuda            # the GPU-capable workloads on a GPU
    python bench/run.py --isolate                # each library timed in processes of its own

On ``--device cuda`` every timed call ends with each library's ``cuda.synchronize()``.
``--isolate`` is a cross-check of the default protocol: when both libraries share a process,
each one's idle worker threads (OpenBLAS's, OpenMP's) spin right after its own call and steal
cores from the other's next call; in their own processes neither sees the other.

Without PyTorch installed, only ember's times are printed.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _discover_workloads() -> dict:
    """Merge the ``WORKLOADS`` tables of every ``bench/workloads_*.py`` (core first)."""
    here = Path(__file__).resolve().parent
    names = sorted(p.stem for p in here.glob("workloads_*.py"))
    names.sort(key=lambda n: n != "workloads_core")
    table = {}
    for name in names:
        table.update(importlib.import_module(name).WORKLOADS)
    return table


WORKLOADS = _discover_workloads()

try:
    import threadpoolctl
except ImportError:  # optional: then numpy's BLAS threads are left as they are
    threadpoolctl = None


def blas_info() -> dict:
    """numpy's BLAS library, kernel and thread count as threadpoolctl reports them (or {})."""
    if threadpoolctl is None:
        return {}
    for info in threadpoolctl.threadpool_info():
        if info.get("user_api") == "blas":
            return info
    return {}


def set_threads(n: int, libs: list[ModuleType]) -> None:
    """Give numpy's BLAS and every torch-like library in ``libs`` the same thread count."""
    if threadpoolctl is not None:
        # Kept for the whole process: the limiter object is deliberately not released.
        set_threads.limiter = threadpoolctl.threadpool_limits(n, user_api="blas")
    for lib in libs:
        if hasattr(lib, "set_num_threads"):
            lib.set_num_threads(n)


def time_interleaved(
    runs: dict[str, Callable[[], object]],
    repeat: int,
    warmup: int,
    sync: dict[str, Callable[[], None]] | None = None,
) -> dict[str, list]:
    """Call each function ``warmup`` times, then ``repeat`` timed times, alternating the order.

    ``sync[name]``, when given, runs after each call inside the timed span (a device barrier).
    """
    names = list(runs)
    sync = sync or {}
    for name in names:
        for _ in range(warmup):
            runs[name]()
    times = {name: [] for name in names}
    for r in range(repeat):
        for name in names if r % 2 == 0 else reversed(names):
            barrier = sync.get(name, _no_sync)
            start = time.perf_counter()
            runs[name]()
            barrier()
            times[name].append(time.perf_counter() - start)
    return times


def _no_sync() -> None:
    """No device barrier (CPU runs)."""


def import_time(module: str, tries: int = 5) -> float:
    """Best-of-``tries`` wall time of ``python -c "import <module>"`` in a fresh interpreter."""
    best = math.inf
    for _ in range(tries):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def run_workloads(ember: ModuleType, ref: ModuleType | None, args) -> list[dict]:
    """Time the selected workloads; one result row (a dict) per workload."""
    rows = []
    for name in args.workloads:
        workload = WORKLOADS[name]
        libs = {"ember": ember} if ref is None else {"ember": ember, "ref": ref}
        if args.isolate:
            times, values = {}, {}
            for key, lib in libs.items():
                times[key], values[key] = time_alone(lib.__name__, name, args)
        else:
            data = workload.make_data(np.random.default_rng(args.seed))
            runs = {key: workload.setup(lib, data) for key, lib in libs.items()}
            sync = ({key: lib.cuda.synchronize for key, lib in libs.items()}
                    if args.device == "cuda" else None)
            times = time_interleaved(runs, args.repeat, args.warmup, sync)
            values = {key: float(run().item()) for key, run in runs.items()}
        row = {"name": name, "ember": statistics.median(times["ember"])}
        if workload.flops:
            row["gflops"] = workload.flops / row["ember"] / 1e9
        if ref is not None:
            row["ref"] = statistics.median(times["ref"])
            row["ratio"] = row["ember"] / row["ref"]
            # Same data, same computation: the scalar results must agree.
            a, b = values["ember"], values["ref"]
            row["check"] = "ok" if math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-5) else "DIFF"
        rows.append(row)
        print(format_row(row, ref is not None), flush=True)
    return rows


def time_alone(module: str, name: str, args) -> tuple[list[float], float]:
    """Times of workload ``name`` for ``module`` measured in a fresh process of its own, and
    its result value."""
    cmd = [sys.executable, __file__, "--alone", module, "-w", name, "-r", str(args.repeat),
           "--warmup", str(args.warmup), "--threads", str(args.threads), "--seed",
           str(args.seed), "--device", args.device]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["times"], result["value"]


def _run_alone(args) -> int:
    """``--alone MODULE``: time one workload for one library; print times and value as JSON."""
    lib = importlib.import_module(args.alone)
    set_threads(args.threads, [lib])
    (name,) = args.workloads
    workload = WORKLOADS[name]
    run = workload.setup(lib, workload.make_data(np.random.default_rng(args.seed)))
    sync = {"lib": lib.cuda.synchronize} if args.device == "cuda" else None
    times = time_interleaved({"lib": run}, args.repeat, args.warmup, sync)["lib"]
    print(json.dumps({"times": times, "value": float(run().item())}))
    return 0


def optimizer_loops() -> str:
    """Whether ember's SGD/Adam updates run as compiled numba loops or as numpy kernels."""
    try:
        from ember.optim._cpu_kernels import cpu_loop
    except ImportError:  # a reference module under test in ember's place
        return "optimizer loops: n/a"
    if cpu_loop("adam", np.float32) is None:
        return "optimizer updates: numpy kernels (numba absent or EMBER_NUMBA=0)"
    import numba
    return f"optimizer updates: compiled loops (numba {numba.__version__})"


def format_row(row: dict, with_ref: bool) -> str:
    """One aligned line of the console table."""
    cells = [f"{row['name']:<18}", f"{row['ember'] * 1e3:>12.3f}"]
    if with_ref:
        ratio = f"{row['ratio']:>8.2f}" if "ratio" in row else f"{'':>8}"
        ref = f"{row['ref'] * 1e3:>12.3f}" if "ref" in row else f"{'':>12}"
        cells += [ref, ratio, f"{row.get('check', ''):>6}"]
    cells.append(f"{row['gflops']:>9.1f}" if "gflops" in row else "")
    return " ".join(cells)


def geomean(values: list[float]) -> float:
    """Geometric mean of positive numbers."""
    return math.exp(sum(math.log(v) for v in values) / len(values))


def machine_lines(ember: ModuleType, ref: ModuleType | None, threads: int,
                  device: str = "cpu") -> list[str]:
    """Markdown bullet lines describing where and with what the numbers were measured."""
    blas = blas_info()
    blas_text = (
        f"{blas.get('internal_api', '?')} {blas.get('version', '')} "
        f"({blas.get('architecture', '?')} kernel)"
        if blas
        else "unknown (threadpoolctl not installed)"
    )
    forced = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                         "OPENBLAS_L2_SIZE", "OMP_WAIT_POLICY") if k in os.environ}
    if forced:  # settings of the environment that change the kernels or the threads' waiting
        blas_text += "; set in the environment: " + ", ".join(f"{k}={v}" for k, v in forced.items())
    lines = [
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs",
        f"- python {platform.python_version()}, numpy {np.__version__}, BLAS {blas_text}",
        f"- threads: {threads} (numpy BLAS and torch.set_num_threads alike)",
        f"- ember module: `{ember.__name__}` {getattr(ember, '__version__', '?')}; "
        f"{optimizer_loops()}",
    ]
    if ref is not None:
        lines.append(f"- reference: `{ref.__name__}` {getattr(ref, '__version__', '?')}")
    if device == "cuda":
        lines.append(f"- device: {ember.cuda.get_device_name()} (tensors and models on the GPU, "
                     "a synchronize ends every timed call)")
    return lines


def write_markdown(path: Path, rows: list[dict], header: list[str], args, with_ref: bool):
    """Write the report: machine description, then one table row per workload."""
    out = ["# Benchmark results", "", *header, ""]
    how = ("each library in processes of its own (--isolate)" if args.isolate
           else "both libraries in this process, interleaved")
    out.append(
        f"Median of {args.repeat} repetitions after {args.warmup} warm-up, {how}; "
        "ratio = ember / PyTorch (below 1: ember is faster)."
    )
    out.append(
        "GFLOP/s for the GEMM-bound workloads (ember); numpy's float32 GEMM ceiling on our "
        "2-core CPU machine is about 100 GFLOP/s per thread (2048^3 sgemm: ~102 on 1, ~205 on 2)."
    )
    out.append("")
    cols = ["workload", "description", "ember (ms)"]
    if with_ref:
        cols += ["PyTorch (ms)", "ratio", "same result"]
    cols.append("ember GFLOP/s")
    out += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        desc = WORKLOADS[row["name"]].description if row["name"] in WORKLOADS else row.get("desc")
        cells = [row["name"], desc or "", f"{row['ember'] * 1e3:.3f}"]
        if with_ref:
            cells += [
                f"{row['ref'] * 1e3:.3f}" if "ref" in row else "",
                f"{row['ratio']:.2f}" if "ratio" in row else "",
                row.get("check", ""),
            ]
        cells.append(f"{row['gflops']:.1f}" if "gflops" in row else "")
        out.append("| " + " | ".join(cells) + " |")
    path.write_text("\n".join(out) + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-w",
        "--workloads",
        nargs="+",
        default=list(WORKLOADS),
        choices=list(WORKLOADS),
        help="workloads to run (default: all)",
    )
    parser.add_argument("-r", "--repeat", type=int, default=20, help="timed repetitions")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls before timing")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for BLAS and torch (default: numpy's BLAS thread count)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the numpy input data")
    parser.add_argument(
        "--ember-module",
        default="ember",
        help="module under test (e.g. 'torch' to self-test the runner)",
    )
    parser.add_argument("--reference-module", default="torch", help="module to compare with")
    parser.add_argument("--no-import-time", action="store_true", help="skip import timing")
    parser.add_argument("--out", type=Path, default=None, help="write a markdown report here")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="device of the tensors (cuda: only the GPU-capable workloads)")
    parser.add_argument("--isolate", action="store_true",
                        help="time each library in processes of its own (a cross-check)")
    parser.add_argument("--alone", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.device == "cuda":
        cpu_only = [w for w in args.workloads if not WORKLOADS[w].gpu]
        if cpu_only and args.workloads != list(WORKLOADS):
            parser.error(f"--device cuda: CPU-only workloads {cpu_only}")
        args.workloads = [w for w in args.workloads if WORKLOADS[w].gpu]
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print (and optionally save) the results."""
    args = parse_args(argv)
    import workloads_core

    workloads_core.DEVICE = args.device
    if args.alone:
        return _run_alone(args)
    ember = importlib.import_module(args.ember_module)
    try:
        ref = importlib.import_module(args.reference_module)
    except ImportError:
        ref = None
        print(f"{args.reference_module} is not importable: timing ember only", file=sys.stderr)
    threads = args.threads = args.threads or blas_info().get("num_threads") or os.cpu_count() or 1
    set_threads(threads, [ember] + ([ref] if ref is not None else []))

    header = machine_lines(ember, ref, threads, args.device)
    print("\n".join(header), "\n")
    cols = [f"{'workload':<18}", f"{'ember ms':>12}"]
    if ref is not None:
        cols += [f"{'torch ms':>12}", f"{'ratio':>8}", f"{'check':>6}"]
    print(" ".join(cols + [f"{'GFLOP/s':>9}"]))

    rows = run_workloads(ember, ref, args)
    if ref is not None:
        row = {
            "name": "geomean",
            "desc": "geometric mean of the workloads above",
            "ember": geomean([r["ember"] for r in rows]),
            "ref": geomean([r["ref"] for r in rows]),
            "ratio": geomean([r["ratio"] for r in rows]),
        }
        rows.append(row)
        print(format_row(row, True))
    if not args.no_import_time:
        row = {
            "name": "import_time",
            "desc": "`python -c 'import …'`, best of 5 (not in geomean)",
            "ember": import_time(args.ember_module),
        }
        if ref is not None:
            row["ref"] = import_time(args.reference_module)
            row["ratio"] = row["ember"] / row["ref"]
        rows.append(row)
        print(format_row(row, ref is not None))
    if args.out is not None:
        write_markdown(args.out, rows, header, args, ref is not None)
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
