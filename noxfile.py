"""Developer sessions for the ember monorepo.

Run ``python3 -m pip install nox uv`` once, then for example::

    python3 -m nox -t tests              # every package's tests, each in a fresh venv
    python3 -m nox -s tests-core -- -x   # arguments after ``--`` go to pytest
    python3 -m nox -s lint bench parity demo

Set ``EMBER_TEST_DEVICE=cuda`` to run the test suites on a GPU (unset means CPU).
"""

from __future__ import annotations

import os
from pathlib import Path

import nox
from nox.command import CommandFailed

# uv creates a venv in ~0.2 s and installs in ~2 s; fall back to the stdlib venv without it.
nox.options.default_venv_backend = "uv|venv"
# Never fetch an interpreter: sessions use the Python that runs nox.
nox.options.download_python = "never"
nox.options.error_on_external_run = True

ROOT = Path(__file__).resolve().parent
# mpmath: reference values for special functions; safetensors: an independent reader/writer
# of the format that ember implements itself
TEST_DEPS = ["pytest", "hypothesis", "mpmath", "safetensors"]
# The local CPU wheel of PyTorch; only pip sees it (uv ignores this machine's pip config).
TORCH = "torch==2.13.0"
TORCHVISION = "torchvision==0.28.*"
# Packages besides the core: session suffix -> source directory.
DOMAINS = {"vision": "vision", "text": "text", "audio": "audio", "geometric": "geometric"}
LINT_PATHS = [
    "core/src",
    "vision/src",
    "text/src",
    "audio/src",
    "geometric/src",
    "tests",
    "bench",
    "examples",
    "noxfile.py",
]


def _test_env() -> dict[str, str]:
    """Environment passed to test runs: the device under test, when the caller chose one."""
    device = os.environ.get("EMBER_TEST_DEVICE")
    return {"EMBER_TEST_DEVICE": device} if device else {}


def _try_install_torch(session: nox.Session) -> bool:
    """Install PyTorch with pip; return False (and log why) where it cannot be installed."""
    try:
        session.install(TORCH)
    except CommandFailed:
        session.warn(f"could not install {TORCH}; continuing without PyTorch")
        return False
    return True


def _try_install_torchvision(session: nox.Session) -> None:
    """Install the torchvision that goes with TORCH (without letting it replace PyTorch);
    the embervision comparisons skip themselves where it cannot be installed."""
    try:
        session.install("--no-deps", TORCHVISION)
        session.install("scipy")  # torchvision reads the .mat files of SVHN/Flowers102 with it
    except CommandFailed:
        session.warn(f"could not install {TORCHVISION}; embervision comparisons will skip")


@nox.session(name="tests-core", tags=["tests"])
def tests_core(session: nox.Session) -> None:
    """Run the core's tests and the doctests in its source (with the optional numba, so both
    the compiled optimizer loops and the numpy kernels they must match are tested; the domain
    sessions run without it)."""
    session.install("-e", "core[numba]", *TEST_DEPS)
    session.run(
        "pytest",
        "tests/core",
        "--doctest-modules",
        "core/src/ember",
        *session.posargs,
        env=_test_env(),
    )


def _domain_session(suffix: str, directory: str) -> None:
    """Define ``tests-<suffix>``: one domain package against the core in a fresh venv."""

    @nox.session(name=f"tests-{suffix}", tags=["tests"])
    def run_tests(session: nox.Session) -> None:
        session.install("-e", "core", "-e", directory, *TEST_DEPS)
        session.run("pytest", f"tests/{suffix}", "--doctest-modules", f"{directory}/src",
                    *session.posargs, env=_test_env())

    run_tests.__doc__ = f"Run the {directory} package's tests and doctests against the core."


for _suffix, _directory in DOMAINS.items():
    _domain_session(_suffix, _directory)


@nox.session(reuse_venv=True)
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff (configuration in pyproject.toml)."""
    session.install("ruff")
    paths = [p for p in LINT_PATHS if (ROOT / p).exists()]
    session.run("ruff", "check", *paths, *session.posargs)


@nox.session(venv_backend="venv", reuse_venv=True)
def bench(session: nox.Session) -> None:
    """Time ember against PyTorch (when installable); ``-- --out bench/RESULTS.md`` saves."""
    session.install("-e", "core[numba]", "-e", "vision", "threadpoolctl")
    if _try_install_torch(session):
        _try_install_torchvision(session)
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(venv_backend="venv", reuse_venv=True)
def parity(session: nox.Session) -> None:
    """Compare ember with PyTorch on the tests marked ``parity``; skipped without PyTorch."""
    session.install("-e", "core[numba]", "-e", "vision", *TEST_DEPS)
    if not _try_install_torch(session):
        session.skip(f"parity needs PyTorch, and {TORCH} could not be installed here")
    _try_install_torchvision(session)
    env = {**_test_env(), "EMBER_PARITY": "1"}
    session.run("pytest", "-m", "parity", "tests/core", "tests/vision", *session.posargs, env=env)


@nox.session
def demo(session: nox.Session) -> None:
    """Train a small CNN on the bundled digits with embervision (examples/vision/digits_cnn.py)."""
    session.install("-e", "core", "-e", "vision", "tqdm")
    session.run("python", "examples/vision/digits_cnn.py", *session.posargs)
