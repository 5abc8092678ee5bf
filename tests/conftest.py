"""Root fixtures shared by the whole suite: real S3 (moto) and real databases."""

pytest_plugins = ["tests.fixtures.s3", "tests.databases"]
