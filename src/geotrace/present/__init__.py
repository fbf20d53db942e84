"""Present stage: sightings and other records written out in formats other tools read.

Each format is its own module, imported by the command that writes it: the package itself
imports nothing, so that a command pays only for the formats it uses (start-up, issue 15).
"""
