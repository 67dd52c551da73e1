"""The Astro path in a Docker engine, as `astro dev start` runs it: engine, base images, compose, CLI steps.

Host-side tooling for tests/docker (and `make test-docker`); users run the Astro CLI instead.
"""
