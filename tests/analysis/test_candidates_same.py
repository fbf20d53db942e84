"""Layout candidates count each picture once, however many files hold it: a copy-heavy
case (a picture posted four times) otherwise checked each file against the same
neighbours, four times over (bench/scale.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from geotrace.analysis.copies import candidate_pairs

NO_TABLE: Any = None  # the neighbours are given: the table is not read


def test_a_row_counts_files_of_one_picture_once_among_its_nearest() -> None:
    rows = np.array([0])
    cols = np.array([[0, 1, 2, 3, 4]])  # 1 and 2 are two files of one picture
    joined = np.arange(5)
    same = np.array([0, 1, 1, 3, 4])
    assert candidate_pairs(NO_TABLE, joined, 2, (rows, cols)) == [(0, 1, 0), (0, 2, 1)]
    assert candidate_pairs(NO_TABLE, joined, 2, (rows, cols), same) == [(0, 1, 0), (0, 3, 1)]


def test_two_pictures_are_checked_through_one_pair_of_their_files() -> None:
    # Files 0 and 5 hold picture A, files 1 and 6 picture B: each file of A has B nearest.
    rows = np.array([0, 5, 1, 6])
    cols = np.array([[0, 1, 6], [5, 6, 1], [1, 0, 5], [6, 5, 0]])
    joined = np.array([0, 1, 2, 3, 4, 5, 6])
    same = np.array([0, 1, 2, 3, 4, 0, 1])
    pairs = candidate_pairs(NO_TABLE, joined, 1, (rows, cols), same)
    assert pairs == [(0, 1, 0)]  # the nearest pair, the lowest indexes on a tie
    assert len(candidate_pairs(NO_TABLE, joined, 1, (rows, cols))) == 2  # (0, 1) and (5, 6)


def test_files_already_joined_to_the_row_are_passed_as_before() -> None:
    rows = np.array([0])
    cols = np.array([[0, 1, 2, 3]])
    joined = np.array([0, 0, 2, 3])  # 1 is already in 0's group
    same = np.arange(4)
    assert candidate_pairs(NO_TABLE, joined, 1, (rows, cols), same) == [(0, 2, 0)]
