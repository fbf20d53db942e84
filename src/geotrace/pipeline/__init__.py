"""Stages and the one runner that computes them (see ``stage``, ``runner``, ``executors``).

Nothing is imported here: ``pipeline.stage`` is imported by the layers below the store,
which must not load the runner (and through it the store).
"""
