"""Root fixtures shared by the whole suite: real S3 (moto), real databases, and a copy of
the bundler output (``build_dir``)."""

pytest_plugins = ["tests.fixtures.s3", "tests.databases", "tests.support.bundles"]
