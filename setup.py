"""The C parts of the package, built at install time.

emberlite._ember: the C library in a cffi extension (runtime/_ffi_build.py).
emberlite._ember_opencl: the OpenCL delegate (csrc/delegates/opencl, docs/opencl.md), a plain
shared library that emberlite.load_delegate opens with dlopen. It is named like an extension
only so it lands beside _ember; it holds no Python code, exports only ember_delegate_create and
ember_delegate_destroy, and never links OpenCL (it dlopens the ICD loader when used).
"""
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

OPENCL_DIR = Path("csrc/delegates/opencl")
OPENCL_NAME = "emberlite._ember_opencl"


class BuildExt(build_ext):
    """Writes the kernel sources into a C file (scripts/embed_cl.py) before compiling."""

    def run(self):
        generated = Path(self.build_temp) / "cld_program_source.c"
        subprocess.run([sys.executable, "scripts/embed_cl.py", str(OPENCL_DIR / "kernels"),
                        str(generated)], check=True)
        for ext in self.extensions:
            if ext.name == OPENCL_NAME and str(generated) not in ext.sources:
                ext.sources.append(str(generated))
        super().run()

    def get_export_symbols(self, ext):
        # Not a Python module: no PyInit_ function to export.
        if ext.name == OPENCL_NAME:
            return []
        return super().get_export_symbols(ext)


opencl = Extension(
    OPENCL_NAME,
    # The core's SHA-256 is compiled in with its portable block function only.
    sources=sorted(str(p) for p in OPENCL_DIR.glob("*.c")) + ["csrc/sha256.c"],
    include_dirs=["csrc", "csrc/include", str(OPENCL_DIR)],
    extra_compile_args=["-std=c11", "-fvisibility=hidden", "-pthread"],
    libraries=["dl", "m"],
    extra_link_args=["-pthread"],
    py_limited_api=True,
)

setup(cffi_modules=["runtime/_ffi_build.py:ffibuilder"], ext_modules=[opencl],
      cmdclass={"build_ext": BuildExt})
