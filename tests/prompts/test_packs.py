"""Community packs: checking (with places), refusing whole, applying, disabling types."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from bot.core.errors import NotFound
from bot.core.vocab import InterviewType
from bot.prompts import PackError, PackRejected, PromptBank, check_pack, load_bundled, load_pack
from bot.prompts.cli import cmd_check

EXAMPLES = Path(str(resources.files("bot.prompts").joinpath("examples")))
GOOD_YAML = EXAMPLES / "pack.yaml"
GOOD_TOML = EXAMPLES / "pack.toml"
BAD_YAML = EXAMPLES / "bad-pack.yaml"


@pytest.fixture(scope="module")
def bank() -> PromptBank:
    return load_bundled()


def places(errors: list[PackError]) -> list[tuple[int | None, str]]:
    return [(e.line, e.path) for e in errors]


# ---------------------------------------------------------------- the example packs


@pytest.mark.parametrize("path", [GOOD_YAML, GOOD_TOML], ids=["yaml", "toml"])
def test_example_packs_are_valid(path: Path, bank: PromptBank) -> None:
    assert check_pack(path, bank=bank) == []
    pack = load_pack(path, bank=bank)
    assert len(pack.prompts) == 2
    assert len(pack.disabled_types) == 1


def test_bad_pack_reports_every_problem_with_its_place(bank: PromptBank) -> None:
    errors = check_pack(BAD_YAML, bank=bank)
    assert places(errors) == [
        (6, "pack.id"),
        (8, "pack.disabled_types[0]"),
        (27, "prompts[0].guide.hints"),
        (46, "prompts[0].guide.time_plan"),
        (90, "prompts[1].guide.exercises[1]"),
        (93, "prompts[2].id"),
        (101, "prompts[2].rubric"),
        (113, "prompts[3].rubric"),
    ]
    lines = BAD_YAML.read_text().splitlines()
    # The line numbers point at the offending keys in the file.
    assert lines[6 - 1].strip() == "id: Bad Pack"
    assert "astrology" in lines[8 - 1]
    assert lines[27 - 1].strip() == "hints:"
    assert lines[46 - 1].strip() == "time_plan:"
    assert "heroics" in lines[90 - 1]
    assert lines[93 - 1].strip() == "- id: bp-slow-login"
    assert lines[101 - 1].strip() == "rubric: sre-v2"
    assert lines[113 - 1].strip() == "rubric: sre-troubleshooting"
    by_path = {e.path: e.message for e in errors}
    assert "needs at least 3 items; it has 2" in by_path["prompts[0].guide.hints"]
    assert "45 minutes, not 40" in by_path["prompts[0].guide.time_plan"]
    assert "'heroics' is not a dimension" in by_path["prompts[1].guide.exercises[1]"]
    assert "already used by prompts[1]" in by_path["prompts[2].id"]
    assert "no rubric 'sre-v2'" in by_path["prompts[2].rubric"]
    assert "is for sre-troubleshooting" in by_path["prompts[3].rubric"]
    assert all(e.source == "bad-pack.yaml" for e in errors)
    assert str(errors[0]).startswith("bad-pack.yaml, line 6, pack.id: ")


def test_every_problem_is_reported_in_one_pass(bank: PromptBank) -> None:
    """Items the schema refuses are still checked beyond it (ids against the pack and the
    bundled bank, rubric, exercises, the rules across fields), so fixing the schema errors
    never uncovers a problem that was there all along."""
    bundled_prompt = bank.prompts(InterviewType.SRE_TROUBLESHOOTING)[0].id
    doc = yaml.safe_load(BAD_YAML.read_text())
    first = doc["prompts"][0]  # two schema errors: two hints, a 40-minute time plan
    first["id"] = bundled_prompt
    first["rubric"] = "nope"
    del first["guide"]["follow_ups"]["mid"]  # its levels are junior and mid
    second = doc["prompts"][1]
    second["title"] = "x"  # a schema error in a prompt whose exercise is wrong too
    rubric = bank.rubric("coding").model_dump(mode="json")
    rubric["dimensions"][1]["id"] = rubric["dimensions"][0]["id"]
    rubric["title"] = "x"
    doc["rubrics"] = [rubric]  # the bundled rubric's id, a schema error, a dimension twice
    broken = yaml.safe_dump(doc, sort_keys=False)

    reported = {(e.path, e.message) for e in check_pack(broken, "yaml", bank=bank)}
    by_path: dict[str, list[str]] = {}
    for path, message in reported:
        by_path.setdefault(path, []).append(message)
    assert any("needs at least 3 items" in m for m in by_path["prompts[0].guide.hints"])
    assert any("not 40" in m for m in by_path["prompts[0].guide.time_plan"])
    assert by_path["prompts[0].id"] == [
        f"prompt id '{bundled_prompt}' is already used by the bundled bank; pick a new id"
    ]
    assert by_path["prompts[0].rubric"] == [
        "no rubric 'nope'; for sre-troubleshooting use: sre-troubleshooting"
    ]
    assert by_path["prompts[0]"] == [
        "guide.follow_ups needs follow-ups for the prompt's levels: mid"
    ]
    assert any("at least 3" in m for m in by_path["prompts[1].title"])
    assert any(
        "'heroics' is not a dimension" in m for m in by_path["prompts[1].guide.exercises[1]"]
    )
    assert by_path["rubrics[0].id"] == [
        "rubric id 'coding' is already used by the bundled bank; pick a new id"
    ]
    assert by_path["rubrics[0]"] == ["dimension ids must be unique within a rubric"]

    # Fix only what the schema refused: nothing new appears.
    first["guide"]["hints"].append("Which directory grows fastest between 02:00 and 09:00?")
    first["guide"]["time_plan"][1]["minutes"] = 25
    second["title"] = "Logins got slow this morning"
    rubric["title"] = "Coding, again"
    again = {
        (e.path, e.message)
        for e in check_pack(yaml.safe_dump(doc, sort_keys=False), "yaml", bank=bank)
    }
    assert again and again <= reported, again - reported


def test_bad_pack_is_refused_whole(bank: PromptBank) -> None:
    with pytest.raises(PackRejected) as caught:
        load_pack(BAD_YAML, bank=bank)
    assert len(caught.value.errors) == 8
    assert "nothing was applied" in caught.value.message
    # The valid prompts in it were not applied anywhere.
    with pytest.raises(NotFound):
        bank.get("bp-overfitting-basics")


# ---------------------------------------------------------------- inline packs

GOOD_PROMPT = yaml.safe_load(GOOD_YAML.read_text())["prompts"][1]  # the behavioral one


def pack_text(*prompts: dict[str, object], **header: object) -> str:
    head = {"id": "inline-pack", "name": "Inline pack", **header}
    return yaml.safe_dump({"pack": head, "prompts": list(prompts)}, sort_keys=False)


def variant(**changes: object) -> dict[str, object]:
    prompt = yaml.safe_load(yaml.safe_dump(GOOD_PROMPT, sort_keys=False))
    prompt.update(changes)
    return prompt


def test_ids_must_be_unique_against_the_bundled_bank(bank: PromptBank) -> None:
    taken = bank.prompt_ids()[0]
    errors = check_pack(pack_text(variant(id=taken)), fmt="yaml", bank=bank)
    assert [(e.path, e.line) for e in errors] == [("prompts[0].id", 5)]
    assert "already used by the bundled bank" in errors[0].message


def test_rubric_ids_must_be_new(bank: PromptBank) -> None:
    rubric = yaml.safe_load(GOOD_YAML.read_text())["rubrics"][0]
    rubric["id"] = "coding"
    text = yaml.safe_dump(
        {"pack": {"id": "inline-pack", "name": "Inline"}, "rubrics": [rubric], "prompts": []},
        sort_keys=False,
    )
    errors = check_pack(text, fmt="yaml", bank=bank)
    assert [e.path for e in errors] == ["rubrics[0].id"]
    assert errors[0].line == 5


def test_text_limits_are_reported(bank: PromptBank) -> None:
    long = "word " * 700
    errors = check_pack(pack_text(variant(statement=long)), bank=bank)
    assert [e.path for e in errors] == ["prompts[0].statement"]
    assert "text is 3,499 characters; the limit is 2800" in errors[0].message


def test_unknown_fields_and_top_level_keys(bank: PromptBank) -> None:
    prompt = variant()
    prompt["difficulty"] = "hard"
    text = pack_text(prompt) + "extras: 1\n"
    errors = check_pack(text, bank=bank)
    assert sorted(e.path for e in errors) == ["extras", "prompts[0].difficulty"]
    assert all(e.line is not None for e in errors)


def test_missing_pack_table(bank: PromptBank) -> None:
    errors = check_pack(yaml.safe_dump({"prompts": [variant()]}), fmt="yaml", bank=bank)
    assert [e.path for e in errors] == [""]
    assert "needs a 'pack' table" in errors[0].message


def test_yaml_syntax_error_has_a_line(bank: PromptBank) -> None:
    errors = check_pack("pack:\n  id: x-y-z\n  name: [oops\n", fmt="yaml", bank=bank)
    assert len(errors) == 1 and errors[0].line is not None
    assert "not valid YAML" in errors[0].message


def test_duplicate_yaml_keys_are_reported(bank: PromptBank) -> None:
    text = "pack:\n  id: dup-pack\n  name: Dup\n  name: Dup again\nprompts: []\n"
    errors = check_pack(text, fmt="yaml", bank=bank)
    assert [(e.line, e.path) for e in errors] == [(4, "pack.name")]


# ---------------------------------------------------------------- TOML places

TOML_TWO = """\
[pack]
id = "toml-pack"
name = "TOML pack"

[[prompts]]
id = "tp-first"
title = "First"

[[prompts]]
id = "tp-second"
title = "Second"
levels = ["galactic"]

[prompts.guide]
exercises = ["nope"]
"""


def test_toml_errors_point_at_the_prompts_table_or_key(bank: PromptBank) -> None:
    errors = check_pack(TOML_TWO, fmt="toml", bank=bank)
    by_path = {e.path: e.line for e in errors}
    # A missing field: the line of the prompt's own [[prompts]] header.
    assert by_path["prompts[0].statement"] == 5
    assert by_path["prompts[1].statement"] == 9
    # A present key: its own line, inside the right table.
    assert by_path["prompts[1].levels[0]"] == 12
    assert by_path["prompts[1].guide.clarifications"] == 14


def test_toml_syntax_error_has_a_line(bank: PromptBank) -> None:
    errors = check_pack('[pack]\nid = "x-y-z"\nname = \n', fmt="toml", bank=bank)
    assert len(errors) == 1 and errors[0].line == 3


def test_format_is_sniffed_from_text(bank: PromptBank) -> None:
    pack = load_pack(GOOD_TOML.read_text(), bank=bank)
    assert pack.id == "data-circle"


# ---------------------------------------------------------------- applying packs


def test_with_pack_adds_prompts_and_switches_disabled_types_off(bank: PromptBank) -> None:
    pack = load_pack(GOOD_YAML, bank=bank)
    combined = bank.with_pack(pack)
    assert combined is not bank
    assert combined.get("fg-debounced-search").rubric == "frontend-coding"
    assert combined.rubric("frontend-coding").interview_type is InterviewType.CODING
    assert combined.origin("fg-debounced-search") == "frontend-guild"
    assert InterviewType.ML_SYSTEM_DESIGN in combined.disabled_types
    assert combined.prompts(type=InterviewType.ML_SYSTEM_DESIGN) == ()
    assert InterviewType.ML_SYSTEM_DESIGN not in combined.types()
    # Built-in prompts of a disabled type are hidden but still found by id.
    hidden = bank.prompts(type=InterviewType.ML_SYSTEM_DESIGN)
    if hidden:
        assert combined.get(hidden[0].id) == hidden[0]
    # The original bank is unchanged.
    assert bank.find("fg-debounced-search") is None
    assert bank.disabled_types == frozenset()
    # The type's rubric is still the built-in one.
    assert combined.rubric_for_type("coding").id == "coding"
    assert len(combined.prompts(type="coding")) == len(bank.prompts(type="coding")) + 1


def test_a_packs_own_prompts_of_a_disabled_type_stay(bank: PromptBank) -> None:
    text = pack_text(variant(id="inline-behavioral"), disabled_types=["behavioral"])
    combined = bank.with_pack(load_pack(text, bank=bank))
    assert [p.id for p in combined.prompts(type="behavioral")] == ["inline-behavioral"]


def test_toml_pack_disables_stats(bank: PromptBank) -> None:
    combined = bank.with_pack(load_pack(GOOD_TOML, bank=bank))
    assert combined.prompts(type=InterviewType.STATS_PRODUCT) == ()
    assert [
        p.id
        for p in combined.prompts(type="sql-data-modelling", track="data-science")
        if p.id.startswith("dc-")
    ] == ["dc-sessionize-clicks"]


def test_a_pack_cannot_be_applied_twice(bank: PromptBank) -> None:
    pack = load_pack(GOOD_YAML, bank=bank)
    combined = bank.with_pack(pack)
    with pytest.raises(PackRejected):
        combined.with_pack(pack)
    two = combined.with_pack(load_pack(GOOD_TOML, bank=combined))
    assert two.packs == ("frontend-guild", "data-circle")


def test_bank_is_immutable(bank: PromptBank) -> None:
    with pytest.raises(AttributeError):
        bank._prompts = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        bank.rubric_map()["x"] = bank.rubric("coding")  # type: ignore[index]


def test_export_round_trips(bank: PromptBank) -> None:
    pack = load_pack(GOOD_YAML, bank=bank)
    text = bank.with_pack(pack).to_pack_text(
        "frontend-guild", "Frontend Guild pack", disabled_types=["ml-system-design"]
    )
    again = load_pack(text, fmt="yaml", bank=bank)
    assert again == pack
    assert load_pack(pack.to_text(), fmt="yaml", bank=bank) == pack


# ---------------------------------------------------------------- the check command


def test_cmd_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_check(str(GOOD_YAML)) == 0
    out = capsys.readouterr().out
    assert "OK, pack 'frontend-guild'" in out and "ml-system-design" in out
    assert cmd_check(str(BAD_YAML)) == 1
    out = capsys.readouterr().out
    assert "bad-pack.yaml, line 27, prompts[0].guide.hints:" in out
    assert "8 problems; the pack would be refused whole" in out
    assert cmd_check(str(tmp_path / "missing.yaml")) == 2
