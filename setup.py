"""Build and install the cmlx Python packages (cmlx and the mlx compatibility package).

The C extension is built by CMake (the CMLX_PYTHON block of CMakeLists.txt), which writes
cmlx/_core.so and a copy of libcmlx.so (found through an rpath of $ORIGIN) into python/cmlx/.
Works offline: `pip install --no-build-isolation .` with the system setuptools.
Environment: CMLX_CMAKE_ARGS adds arguments to the CMake configure step; CMLX_BUILD_DIR picks the
build directory (default build-pip).
"""
import os
import shlex
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = os.path.dirname(os.path.abspath(__file__))


class BuildWithCMake(build_py):
    def run(self):
        build_dir = os.environ.get("CMLX_BUILD_DIR", os.path.join(ROOT, "build-pip"))
        cfg = ["cmake", "-S", ROOT, "-B", build_dir, "-DCMLX_PYTHON=ON", "-DCMLX_TESTS=OFF",
               f"-DPython3_EXECUTABLE={sys.executable}", "-DCMAKE_BUILD_TYPE=Release"]
        cfg += shlex.split(os.environ.get("CMLX_CMAKE_ARGS", ""))
        subprocess.check_call(cfg)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "_core", "-j", jobs])
        super().run()


# keep setuptools' own outputs out of the source tree and out of the CMake build/ directory
OUT = os.path.join(ROOT, "build-pip")
os.makedirs(OUT, exist_ok=True)

setup(
    options={"build": {"build_base": os.path.join(OUT, "setuptools")},
             "egg_info": {"egg_base": OUT}},
    packages=["cmlx", "mlx"],
    package_dir={"": "python"},
    package_data={"cmlx": ["_core*.so", "libcmlx.so*"]},
    cmdclass={"build_py": BuildWithCMake},
    zip_safe=False,
)
