"""Build the optional C helper (textmine/_fastscore.c). Everything else is in pyproject.toml.

``optional=True``: on a machine without a C compiler the install still succeeds and textmine scores
single notes with NumPy instead (same results, slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("textmine._fastscore", ["textmine/_fastscore.c"], optional=True,
                             # no fused multiply-add: the sums must round exactly as NumPy's do
                             extra_compile_args=["-O2", "-ffp-contract=off"])])
