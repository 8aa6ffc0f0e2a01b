# SPDX-License-Identifier: Apache-2.0
"""The README's install commands work offline: venv + pip install --no-build-isolation."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
def test_pip_install_in_venv(tmp_path):
    try:
        import ensurepip  # noqa: F401  (python3-venv)
    except ImportError:
        pytest.skip("python3-venv is not installed")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the tree
    shutil.copytree(os.path.join(ROOT, "python"), src / "python",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__", "build*", "*.egg-info",
                                                  ".hypothesis", "tests"))
    shutil.copytree(os.path.join(ROOT, "include"), src / "include")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-build-isolation",
                    "--no-index", str(src / "python")], check=True, env=env, cwd=tmp_path)
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import conseco, numpy as np; "
                          "print(conseco.__file__); "
                          "print(conseco.score(conseco.Threshold(), np.ones((3, 3)), "
                          "np.ones((3, 3), bool), 0.0))"],
                         check=True, env=env, cwd=tmp_path, capture_output=True, text=True)
    lines = out.stdout.split()
    assert lines[0].startswith(str(venv))
    assert float(lines[1]) == 0.5
    # the library was copied next to the package (CONSECO_LIBRARY at install time)
    if os.environ.get("CONSECO_LIBRARY"):
        env.pop("CONSECO_LIBRARY")
        out = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import conseco; print(conseco.library_path)"],
                             check=True, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert out.stdout.strip().startswith(str(venv))
