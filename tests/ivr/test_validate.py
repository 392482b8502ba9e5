"""Every class of flow error is reported, with the line and column of the offending text."""

from __future__ import annotations

from pathlib import Path

from pbx.ivr.validate import FlowError, validate_dir, validate_file

from .helpers import FLOWS_DIR, MINIMAL, write_files


def check(tmp_path: Path, text: str, **kwargs: object) -> list[tuple[int, int, str]]:
    path = write_files(tmp_path, {"main.yaml": text}) / "main.yaml"
    errors = validate_file(path, **kwargs)  # type: ignore[arg-type]
    return [(e.line, e.column, e.message) for e in errors]


def test_sample_flows_are_valid() -> None:
    assert validate_dir(FLOWS_DIR) == []


def test_minimal_flow_is_valid(tmp_path: Path) -> None:
    assert check(tmp_path, MINIMAL) == []


def test_error_prints_as_file_line_column_message() -> None:
    error = FlowError("main.yaml", 12, 7, "node 'billing' option '1' points to unknown node 'x'")
    assert str(error) == "main.yaml:12:7: node 'billing' option '1' points to unknown node 'x'"


def test_malformed_yaml(tmp_path: Path) -> None:
    text = """\
    name: main
    start: menu
    nodes:
      menu:
        type: menu
        prompt: {say: "Hi"
        options: {"1": bye}
    """
    assert check(tmp_path, text) == [
        (
            7,
            5,
            "invalid YAML: expected ',' or '}', but got '<scalar>' "
            "(while parsing a flow mapping that starts on line 6)",
        ),
    ]


def test_tab_indentation_is_malformed_yaml(tmp_path: Path) -> None:
    errors = check(tmp_path, "name: main\nnodes:\n\tmenu: x\n")
    assert errors == [(3, 1, "invalid YAML: found character '\\t' that cannot start any token")]


def test_unknown_node_type(tmp_path: Path) -> None:
    text = MINIMAL.replace("type: queue", "type: queu")
    assert check(tmp_path, text) == [
        (
            12,
            11,
            "node 'billing' has unknown type 'queu' (did you mean 'queue'?); known types: "
            "play, menu, collect, branch, hours, language, http_lookup, set, queue, "
            "voicemail, callback, transfer, survey, ticket, outages, speech, goto_flow, "
            "hangup",
        ),
    ]


def test_missing_field(tmp_path: Path) -> None:
    text = MINIMAL.replace("    queue: billing\n", "")
    assert check(tmp_path, text) == [(11, 3, "node 'billing' is missing required field 'queue'")]


def test_missing_top_level_field(tmp_path: Path) -> None:
    text = MINIMAL.replace("start: menu\n", "")
    errors = check(tmp_path, text)
    assert (1, 1, "the file is missing required field 'start'") in errors


def test_unknown_field_with_suggestion(tmp_path: Path) -> None:
    text = MINIMAL.replace("    queue: billing\n", "    queue: billing\n    prority: 3\n")
    assert check(tmp_path, text) == [
        (14, 5, "node 'billing' has unknown field 'prority' (did you mean 'priority'?)"),
    ]


def test_unknown_field_inside_a_prompt(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'prompt: {say: "For billing, press 1."}', 'prompt: {sya: "For billing, press 1."}'
    )
    errors = check(tmp_path, text)
    assert (
        7,
        14,
        "node 'menu' field 'prompt' has unknown field 'sya' (did you mean 'say'?)",
    ) in errors


def test_wrong_value_type(tmp_path: Path) -> None:
    text = MINIMAL.replace("    next: bye\n", "    next: bye\n    retries: lots\n")
    assert check(tmp_path, text) == [
        (
            11,
            14,
            "node 'menu' field 'retries': input should be a valid integer, "
            "unable to parse string as an integer",
        ),
    ]


def test_dangling_branch(tmp_path: Path) -> None:
    text = MINIMAL.replace('"1": billing', '"1": billin')
    assert check(tmp_path, text) == [
        (9, 12, "node 'menu' option '1' points to unknown node 'billin' (did you mean 'billing'?)"),
        (11, 3, "node 'billing' can never be reached from start node 'menu'"),
    ]


def test_missing_start_node(tmp_path: Path) -> None:
    text = MINIMAL.replace("start: menu", "start: mneu")
    errors = check(tmp_path, text)
    assert errors[0] == (3, 8, "start node 'mneu' does not exist (did you mean 'menu'?)")


def test_unreachable_node(tmp_path: Path) -> None:
    text = MINIMAL + "  orphan:\n    type: hangup\n"
    assert check(tmp_path, text) == [
        (16, 3, "node 'orphan' can never be reached from start node 'menu'"),
    ]


def test_missing_sound(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    (sounds / "en").mkdir(parents=True)
    (sounds / "en" / "welcome.gsm").write_bytes(b"")
    text = MINIMAL.replace(
        'prompt: {say: "For billing, press 1."}',
        "prompt:\n      - sound: welcome\n      - sound: welcom",
    )
    assert check(tmp_path / "flows", text, sound_dirs=[sounds]) == [
        (9, 16, f"node 'menu': sound 'welcom' not found in {sounds}"),
    ]


def test_missing_per_language_sound(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    (sounds / "en").mkdir(parents=True)
    (sounds / "en" / "welcome.wav").write_bytes(b"")
    text = MINIMAL.replace(
        'prompt: {say: "For billing, press 1."}', "prompt: {sound: {en: welcome, fi: welcome}}"
    )
    assert check(tmp_path / "flows", text, sound_dirs=[sounds]) == [
        (7, 39, f"node 'menu': sound 'welcome' not found in {sounds}"),
    ]


def test_missing_uploaded_file(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "jingle.wav").write_bytes(b"")
    text = MINIMAL.replace(
        'prompt: {say: "For billing, press 1."}', "prompt: [{file: jingle}, {file: promo.wav}]"
    )
    assert check(tmp_path / "flows", text, uploads_dir=uploads) == [
        (7, 37, f"node 'menu': file 'promo.wav' not found in {uploads}"),
    ]


def test_loop_that_never_waits_and_never_leaves(tmp_path: Path) -> None:
    text = """\
    name: main
    start: intro
    nodes:
      intro:
        type: play
        prompt: {say: "Hello"}
        next: remember
      remember:
        type: set
        variables: {seen: true}
        next: intro
    """
    assert check(tmp_path, text) == [
        (
            4,
            3,
            "nodes 'intro' -> 'remember' -> 'intro' loop forever: none of them waits for "
            "the caller and none leads out",
        ),
    ]


def test_loops_through_a_question_or_with_a_way_out_are_fine(tmp_path: Path) -> None:
    text = """\
    name: main
    start: intro
    nodes:
      intro:
        type: play
        prompt: {say: "Hello"}
        next: ask
      ask:
        type: menu
        prompt: {say: "Press 1 to hear it again"}
        options: {"1": intro}
        next: check
      check:
        type: branch
        conditions:
          - {var: caller, prefix: "+358", goto: bye}
        else: intro
      bye:
        type: hangup
    """
    assert check(tmp_path, text) == []


def test_menu_digit_used_twice(tmp_path: Path) -> None:
    text = MINIMAL.replace('"1": billing\n', '"1": billing\n      1: bye\n')
    assert check(tmp_path, text) == [
        (10, 7, "node 'menu' option '1' is used twice (first on line 9)"),
    ]


def test_node_id_used_twice(tmp_path: Path) -> None:
    text = MINIMAL + "  bye:\n    type: hangup\n"
    assert check(tmp_path, text) == [(16, 3, "node id 'bye' is defined twice (first on line 14)")]


def test_goto_unknown_flow(tmp_path: Path) -> None:
    other = MINIMAL.replace("name: main", "name: other")
    write_files(tmp_path, {"other.yaml": other})
    text = MINIMAL.replace("    type: hangup\n", "    type: goto_flow\n    flow: othr\n")
    assert check(tmp_path, text) == [
        (16, 11, "node 'bye' goes to unknown flow 'othr' (did you mean 'other'?)"),
    ]
    ok = MINIMAL.replace("    type: hangup\n", "    type: goto_flow\n    flow: other\n")
    assert check(tmp_path, ok) == []


def test_routes_pointing_at_unknown_flow(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "main.yaml": MINIMAL,
            "routes.yaml": """\
        "0800123456": main
        _1XX: mian
        default: main
        """,
        },
    )
    errors = validate_file(tmp_path / "routes.yaml")
    assert [(e.line, e.column, e.message) for e in errors] == [
        (2, 7, "route '_1XX' points to unknown flow 'mian' (did you mean 'main'?)"),
    ]


def test_bad_route_key(tmp_path: Path) -> None:
    write_files(tmp_path, {"main.yaml": MINIMAL, "routes.yaml": "_08OO: main\n"})
    errors = validate_dir(tmp_path)
    assert [(e.line, e.column, e.message) for e in errors] == [
        (1, 1, "route '_08OO' is not a number, an Asterisk pattern like '_0800XXXX' or 'default'"),
    ]


def test_flow_name_must_match_file_name(tmp_path: Path) -> None:
    text = MINIMAL.replace("name: main", "name: mian")
    assert check(tmp_path, text) == [
        (1, 7, "flow name 'mian' does not match its file name 'main'"),
    ]


def test_prompt_needs_the_default_language(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'prompt: {say: "For billing, press 1."}', 'prompt: {say: {fi: "Laskutus, paina 1."}}'
    )
    assert check(tmp_path, text) == [
        (7, 19, "node 'menu': prompt has no 'en' text (the flow's default language)"),
    ]


def test_invalid_regex_and_digit_range(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "  bye:\n",
        """\
  ask:
    type: collect
    prompt: {say: "Postcode?"}
    variable: postcode
    pattern: "[0-9"
    next: bye
    invalid: bye
  bye:
""",
    ).replace('"1": billing', '"1": billing\n      "2": ask')
    assert check(tmp_path, text) == [
        (
            19,
            14,
            "node 'ask' field 'pattern': invalid regular expression: unterminated "
            "character set at position 0",
        ),
    ]


def test_every_error_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = """\
    name: main
    language: en
    start: menu
    nodes:
      menu:
        type: menu
        prompt: {say: "For billing, press 1."}
        options:
          "1": billing
          "2": billin
          "1": bye
        next: bye
        colour: red
      billing:
        type: teleport
      bye:
        type: goto_flow
        flow: nowhere
    """
    assert check(tmp_path, text) == [
        (
            10,
            12,
            "node 'menu' option '2' points to unknown node 'billin' (did you mean 'billing'?)",
        ),
        (11, 7, "node 'menu' option '1' is used twice (first on line 9)"),
        (13, 5, "node 'menu' has unknown field 'colour'"),
        (
            15,
            11,
            "node 'billing' has unknown type 'teleport'; known types: play, menu, collect, "
            "branch, hours, language, http_lookup, set, queue, voicemail, callback, "
            "transfer, survey, ticket, outages, speech, goto_flow, hangup",
        ),
        (18, 11, "node 'bye' goes to unknown flow 'nowhere'"),
    ]


def test_validate_dir_reports_every_file(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "main.yaml": MINIMAL,
            "broken.yaml": "name: broken\nstart: [\n",
            "routes.yaml": "default: missing\n",
        },
    )
    files = sorted({Path(e.file).name for e in validate_dir(tmp_path)})
    assert files == ["broken.yaml", "routes.yaml"]


def test_nested_problems_point_into_the_node(tmp_path: Path) -> None:
    text = """\
    name: main
    start: check
    nodes:
      check:
        type: branch
        conditions:
          - {var: caller, prefix: "+358", goto: bye}
          - {var: caller}
        else: bye
      bye:
        type: hangup
        prompt: "Goodbye"
    """
    assert check(tmp_path, text) == [
        (8, 9, "node 'check' field 'conditions[1]' is missing required field 'goto'"),
        (
            12,
            13,
            "node 'bye' field 'prompt': write a prompt as {say: \"...\"}, {sound: name} "
            "or a list of them",
        ),
    ]
