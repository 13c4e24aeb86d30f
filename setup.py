"""Only here for cffi: the C library is compiled into the extension module emberlite._ember."""
from setuptools import setup

setup(cffi_modules=["runtime/_ffi_build.py:ffibuilder"])
