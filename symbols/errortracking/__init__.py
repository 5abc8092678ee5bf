"""Error tracking: capture, the pipeline's stages, fingerprints, issues and rules."""
