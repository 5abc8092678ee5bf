"""The grammar of dates and versions in property values (``symbols.property_values``)."""

from __future__ import annotations

import pytest

from symbols.errortracking.operators import build_test
from symbols.property_values import MAX_EPOCH, MIN_EPOCH, epoch_seconds, parse_semver, semver_key

MAY_1 = 1714521600  # 2024-05-01T00:00:00Z


@pytest.mark.parametrize(("value", "seconds"), [
    ("2024-05-01", MAY_1),
    (" 2024-05-01T10:00\n", MAY_1 + 36000),
    ("2024-05-01 10:00:30.999", MAY_1 + 36030),  # the fraction is dropped, not rounded
    ("2024-05-01t10:00:00z", MAY_1 + 36000),
    ("2024-05-01T10:00:00+02:00", MAY_1 + 28800),
    ("2024-05-01T10:00-0130", MAY_1 + 41400),
    ("2024-05-01T10:00+05", MAY_1 + 18000),
    ("2024-02-29", 1709164800),
    ("0001-01-01T00:00:00Z", MIN_EPOCH),
    ("9999-12-31T23:59:59Z", MAX_EPOCH),
    ("0001-01-01T00:30+01:00", MIN_EPOCH - 1800),  # before year 1 in UTC: still a moment
    (MAY_1, MAY_1), (MAY_1 + 0.999, MAY_1), (-0.5, -1), (float(MAX_EPOCH) + 0.5, MAX_EPOCH),
])
def test_dates(value, seconds):
    assert epoch_seconds(value) == seconds


@pytest.mark.parametrize("value", [
    "2023-02-29", "2024-13-01", "2024-00-10", "0000-01-01", "2024-05-01T24:00", "2024-05-01T10:60",
    "2024-05-01T10:00:60", "2024-05-01T10:00+24:00", "2024-05-01T10:00+01:60", "2024-05-01+02:00",
    "20240501", "2024-5-1", "2024-05-01T10", "\xa02024-05-01", "2024-05-01\u2003", "٢٠٢٤-05-01",
    "yesterday", "", True, None, [], {}, float("nan"), float("inf"), MAX_EPOCH + 1, MIN_EPOCH - 1,
])
def test_not_dates(value):
    assert epoch_seconds(value) is None


@pytest.mark.parametrize(("value", "version"), [
    ("1", (1, 0, 0, 0)), ("v1.2", (1, 2, 0, 0)), ("V1.2.3.4", (1, 2, 3, 4)), ("007.1", (7, 1, 0, 0)),
    ("1.2.3-beta.1", (1, 2, 3, 0)), ("1.2.3+build-7", (1, 2, 3, 0)), (" 1.2\t", (1, 2, 0, 0)),
    ("1.2-rc\nnext", (1, 2, 0, 0)), ("9" * 18, (10**18 - 1, 0, 0, 0)),
])
def test_versions(value, version):
    assert parse_semver(value) == version


@pytest.mark.parametrize("value", [
    "", "v", "1.", ".1", "1..2", "1.2.3.4.5", "1 .2", "v 1", "1.2 -x", "1.x", "latest", "-1", "\xa01.2",
    "١.٢", "9" * 19, "1." + "9" * 5000, 12, None,
])
def test_not_versions(value):
    assert parse_semver(value) is None


def test_a_huge_version_is_no_version_for_a_rule():
    # A part of thousands of digits once raised from int() (Python's digit limit), and a
    # rule whose evaluation raises is disabled: one hostile event could turn a rule off.
    assert build_test("semver_gt", "1.0.0")("1" * 5000) is False


def test_version_keys_sort_as_versions():
    versions = [(0, 0, 0, 1), (0, 9, 0, 0), (1, 0, 0, 0), (1, 10, 0, 0), (10**18 - 1, 0, 0, 0), (10**18, 0, 0, 0)]
    keys = [semver_key(v) for v in versions]
    assert keys == sorted(keys) and len(set(map(len, keys))) == 1
