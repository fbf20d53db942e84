"""Audit and scrub: what a file, a post or an account gives away, and lossless removal."""
