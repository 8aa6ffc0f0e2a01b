# SPDX-License-Identifier: Apache-2.0
"""The library search and the version check fail clearly."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _import(env_lib, tmp_path):
    env = dict(os.environ)
    env["CONSECO_LIBRARY"] = env_lib
    import conseco  # the package under test, wherever it was found
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(conseco.__file__)))
    return subprocess.run([sys.executable, "-c", "import conseco"], env=env, cwd=tmp_path,
                          capture_output=True, text=True)


def test_missing_library(tmp_path):
    r = _import(str(tmp_path / "nope.so"), tmp_path)
    assert r.returncode != 0
    assert "cannot load libconseco" in r.stderr and "CONSECO_LIBRARY" in r.stderr


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
def test_version_mismatch(tmp_path):
    src = tmp_path / "fake.c"
    src.write_text("unsigned conseco_version_number(void) { return 30100; }\n")
    so = tmp_path / "libfake.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    r = _import(str(so), tmp_path)
    assert r.returncode != 0
    assert "libconseco 3.1.0" in r.stderr and "needs 0.2.x" in r.stderr
