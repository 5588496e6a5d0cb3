"""The container image's install steps, without Docker: build PeerLoop's wheel, install it
into a clean virtual environment, and run the installed ``peerloop`` (``--help``,
``db upgrade`` on a scratch SQLite database, ``slack manifest``, ``health``).

This catches what only an installed copy shows: files missing from the wheel (migrations,
the Slack manifest, the question bank), dependencies missing from pyproject.toml, and
imports of test-only packages. It needs pip to reach PyPI or its cache (setuptools for the
build, the dependencies for the install).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: What the Dockerfile copies into its build stage.
SOURCES = ("pyproject.toml", "README.md", "bot", "benchmarks", "slack")

#: Set by .ci/run: the install takes one to two minutes (it installs every dependency from
#: pip's cache or PyPI), about as long as the rest of the suite, so ``make test`` skips it.
FLAG = "PEERLOOP_TEST_WHEEL_INSTALL"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get(FLAG) != "1",
        reason=f"the wheel-install test runs when {FLAG}=1 (.ci/run sets it)",
    ),
]


def _run(
    args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    return done


def test_the_built_wheel_installs_and_runs_in_a_clean_environment(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name,
                src / name,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        else:
            shutil.copy2(ROOT / name, src / name)
    env_dir = tmp_path / "venv"
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    except Exception as exc:  # e.g. a Python built without ensurepip
        pytest.skip(f"cannot create a virtual environment with pip here: {exc!r}")
    python = env_dir / "bin" / "python"
    if not python.exists():
        pytest.skip("the virtual environment has no bin/python (not a POSIX layout)")
    # A clean environment: nothing from the test run's environment or a .env leaks in.
    env = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "TMPDIR"} or key.startswith("PIP_")
    }
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "work"
    work.mkdir()

    dist = tmp_path / "dist"
    _run(
        [
            str(python),
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(dist),
            str(src),
        ],
        cwd=work,
        env=env,
    )
    wheels = sorted(dist.glob("peerloop-*.whl"))
    assert len(wheels) == 1, wheels
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheels[0])], cwd=work, env=env)

    peerloop = str(env_dir / "bin" / "peerloop")
    assert "peer mock interviews" in _run([peerloop, "--help"], cwd=work, env=env).stdout
    database = work / "scratch.sqlite3"
    upgraded = _run(
        [peerloop, "db", "upgrade"],
        cwd=work,
        env={**env, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"},
    )
    assert "schema revision:" in upgraded.stdout and "None" not in upgraded.stdout
    assert database.exists()
    # Package data only an installed copy can miss: the Slack manifest and the question bank.
    assert "oauth_config" in _run([peerloop, "slack", "manifest"], cwd=work, env=env).stdout
    assert _run([peerloop, "prompts", "list"], cwd=work, env=env).stdout.strip()
    # The benchmarks ship in the wheel as their own package: `peerloop bench` finds them.
    assert (
        '"cache_hit"'
        in _run([peerloop, "bench", "charts", "--smoke", "--json"], cwd=work, env=env).stdout
    )
    # The container's HEALTHCHECK command: nothing runs here, so it says so and fails.
    health = subprocess.run(
        [peerloop, "health"],
        cwd=work,
        env={**env, "HEALTH_PORT": "9"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert health.returncode == 1 and '"status": "unreachable"' in health.stderr, health
    # The wheel's code, not the checkout's.
    where = _run([str(python), "-c", "import bot; print(bot.__file__)"], cwd=work, env=env).stdout
    assert str(env_dir) in where and str(ROOT) not in where, where
    assert sys.prefix != str(env_dir)
