"""shared.batch.names: blob names of shot lists, instance ids fixed by name and content, output blob names."""

from __future__ import annotations

import pytest

from shared.batch import names


@pytest.mark.parametrize("blob, expected", [
    ("chapter1.jsonl", ("chapter1", "jsonl")),
    ("batch-in/chapter1.jsonl", ("chapter1", "jsonl")),
    ("1화-배경.CSV", ("1화-배경", "csv")),
    ("notes.txt", None),
    ("folder/a.jsonl", None),
    ("noext", None),
    (".jsonl", None),
    ("bad name.jsonl", None),
])
def test_split_blob_name(blob, expected):
    assert names.split_blob_name(blob) == expected


def test_instance_id_is_fixed_by_name_and_content():
    sha = names.content_sha256(b"a")
    assert names.instance_id("ch1", sha) == names.instance_id("ch1", sha)
    assert names.instance_id("ch1", sha) != names.instance_id("ch1", names.content_sha256(b"b"))
    assert names.instance_id("ch1", sha) != names.instance_id("ch2", sha)
    iid = names.instance_id("ch1", sha)
    assert iid.startswith("batch-") and len(iid) == len("batch-") + 32
    assert names.child_instance_id(iid, 7) == names.child_instance_id(iid, 7) == f"{iid}-L00007"
    assert names.child_instance_id(iid, 7) != names.child_instance_id(iid, 8)


def test_output_blob_names():
    assert names.output_blob("ch1", 3, "s03", 1, "png") == "ch1/0003-s03/1.png"
    assert names.output_blob("ch1", 12, None, 2, "psd") == "ch1/0012/2.psd"
