"""Peak memory of one workload step, ember vs PyTorch, each in its own fresh process.

Reported: the process's resident memory after the setup (model and data built), its peak
(``ru_maxrss``) over four calls of the step, and the difference — what a step adds at most.

    python bench/memory.py                 # the CNN train step
    python bench/memory.py -w lstm
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import importlib, json, resource, sys
sys.path.insert(0, {here!r})
import numpy as np
from run import WORKLOADS
lib = importlib.import_module({lib!r})
w = WORKLOADS[{name!r}]
fn = w.setup(lib, w.make_data(np.random.default_rng(0)))
import os
with open("/proc/self/statm") as f:
    base = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
for _ in range(4):
    fn()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"base_kib": base, "peak_kib": peak}}))
"""


def measure(lib: str, name: str) -> dict:
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run([sys.executable, "-c", CHILD.format(here=here, lib=lib, name=name)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-w", "--workload", default="cnn_train")
    args = ap.parse_args()
    for lib in ("ember", "torch"):
        try:
            r = measure(lib, args.workload)
        except subprocess.CalledProcessError as e:
            print(f"{lib:6s} failed: {e.stderr.strip().splitlines()[-1]}")
            continue
        base, peak = r["base_kib"] / 1024, r["peak_kib"] / 1024
        print(f"{lib:6s} after setup {base:7.1f} MiB, peak {peak:7.1f} MiB, "
              f"step adds {peak - base:6.1f} MiB")


if __name__ == "__main__":
    main()
