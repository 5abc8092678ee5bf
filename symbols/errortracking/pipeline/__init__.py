"""The error-tracking pipeline: captured events -> resolved, fingerprinted, linked, stored.

Stages, one module each, in cymbal's order (``run.Pipeline.process`` drives them over a
batch of the capture stream): ``preprocess`` (in the parent package) -> ``resolution`` ->
``grouping`` -> ``suppression`` -> ``linking`` -> ``output`` -> ``assignment`` -> ``store``.
"""

from .run import Outcome, Pipeline

__all__ = ["Outcome", "Pipeline"]
