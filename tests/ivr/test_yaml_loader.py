"""Position-aware YAML loading."""

from __future__ import annotations

import pytest

from switchboard.yaml_loader import Mark, YamlSyntaxError, load_yaml

TEXT = """\
name: main
nodes:
  menu:
    options:
      "1": billing
      1: sales
    times: [08:00-16:00, 16:00]
"""


def test_every_key_and_value_has_a_position() -> None:
    doc = load_yaml(TEXT)
    assert doc.key_mark(("nodes", "menu")) == Mark(3, 3)
    assert doc.value_mark(("nodes", "menu", "options", "1")) == Mark(5, 12)
    assert doc.value_mark(("nodes", "menu", "times", 1)) == Mark(7, 26)


def test_duplicate_keys_are_reported_and_the_first_value_kept() -> None:
    doc = load_yaml(TEXT)
    assert doc.data["nodes"]["menu"]["options"] == {"1": "billing"}
    [dup] = doc.duplicates
    assert (dup.mapping, dup.key, dup.first, dup.second) == (
        ("nodes", "menu", "options"),
        "1",
        Mark(5, 7),
        Mark(6, 7),
    )


def test_phone_system_values_stay_text() -> None:
    doc = load_yaml("a: 16:00\nb: 0800123456\nc: +358401234567\nd: no\ne: 5\nf: 2.5\ng: true\n")
    assert doc.data == {
        "a": "16:00",
        "b": "0800123456",
        "c": "+358401234567",
        "d": "no",
        "e": 5,
        "f": 2.5,
        "g": True,
    }


def test_quoted_values_are_always_text() -> None:
    assert load_yaml('a: "5"\nb: "true"\n').data == {"a": "5", "b": "true"}


def test_locate_skips_segments_missing_from_the_document() -> None:
    doc = load_yaml("prompt: {say: hi}\n")
    assert doc.locate(("prompt", 0, "say")) == ("prompt", "say")
    assert doc.value_mark(("prompt", 0, "say")) == Mark(1, 15)


def test_syntax_error_has_a_position() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml("a: [1, 2\nb: 3\n")
    assert caught.value.mark == Mark(2, 2)


def test_self_referencing_alias_is_rejected() -> None:
    with pytest.raises(YamlSyntaxError, match="refers to itself"):
        load_yaml("a: &x [*x]\n")


def test_empty_document() -> None:
    assert load_yaml("").data is None
