# SPDX-License-Identifier: Apache-2.0
"""Builds the cffi extension conseco._conseco_cffi (needs a C compiler, python3-dev and
conseco.h: found in $CONSECO_INCLUDE_DIR, ../include, /usr/local/include or /usr/include).

If CONSECO_LIBRARY names a built libconseco.so at install time, a copy is
installed next to the package (conseco/libconseco.so), where the loader finds
it first; otherwise the library is found at run time through CONSECO_LIBRARY
or the system's library path.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def run(self):
        super().run()
        lib = os.environ.get("CONSECO_LIBRARY")
        if lib and os.path.isfile(lib):
            dst = os.path.join(self.build_lib, "conseco", "libconseco.so")
            shutil.copyfile(os.path.realpath(lib), dst)


setup(cffi_modules=["conseco/_build_cffi.py:ffibuilder"], cmdclass={"build_py": BuildPy})
