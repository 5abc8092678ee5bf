"""Benchmark of the source-map engine against its peers (issue 3, "Speed").

Run ``python -m bench`` (or ``make bench``); ``--quick`` runs jQuery only. See
``bench/README.md`` for what is measured and how.
"""
