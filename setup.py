"""Build bits only (metadata lives in pyproject.toml): the optional C `mappings` decoder.

`optional=True`: if it does not compile (no compiler, no Python headers), the install
goes on without it and `symbols.sourcemaps` decodes with numpy alone.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("symbols.sourcemaps._mappings", ["symbols/sourcemaps/_mappings.c"], optional=True)])
