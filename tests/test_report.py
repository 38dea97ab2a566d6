"""The JSON report: its content, its schema, and atomic writing.

Reports are validated with ``jsonschema`` when it is installed (the ``[test]`` extra has
it) and otherwise with the small draft 2020-12 subset checker below, which refuses any
keyword it does not implement so that it can never pass a schema it does not understand.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from pyengine import PoseClassifier, __version__, default_samples
from pyengine.demo import run_demo
from pyengine.report import build_report, format_summary, load_schema, write_report
from pyengine.synthetic import WorkoutPlan

_ANNOTATIONS = {"$schema", "$id", "title", "description"}
_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


class SchemaViolation(AssertionError):
    pass


def validate(instance, schema: dict) -> None:
    """Validate with jsonschema if available, else with the subset checker."""
    try:
        import jsonschema
    except ImportError:
        _check(instance, schema, schema, "$")
        return
    try:
        jsonschema.Draft202012Validator(schema).validate(instance)
    except jsonschema.ValidationError as exc:
        raise SchemaViolation(exc.message) from None


def _is_type(value, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[name])


def _check(value, schema: dict, root: dict, where: str) -> None:
    unknown = set(schema) - _ANNOTATIONS - set(_KEYWORDS)
    if unknown:
        raise NotImplementedError(f"subset checker does not implement {sorted(unknown)}")
    for keyword, argument in schema.items():
        if keyword in _KEYWORDS:
            _KEYWORDS[keyword](value, argument, schema, root, where)


def _fail(where: str, message: str) -> None:
    raise SchemaViolation(f"{where}: {message}")


def _k_type(value, arg, schema, root, where):
    names = [arg] if isinstance(arg, str) else arg
    if not any(_is_type(value, n) for n in names):
        _fail(where, f"{value!r} is not of type {names}")


def _k_const(value, arg, schema, root, where):
    if value != arg or type(value) is not type(arg):
        _fail(where, f"{value!r} is not {arg!r}")


def _k_enum(value, arg, schema, root, where):
    if value not in arg:
        _fail(where, f"{value!r} is not one of {arg}")


def _k_required(value, arg, schema, root, where):
    if isinstance(value, dict):
        for key in arg:
            if key not in value:
                _fail(where, f"{key!r} is required")


def _k_properties(value, arg, schema, root, where):
    if isinstance(value, dict):
        for key, sub in arg.items():
            if key in value:
                _check(value[key], sub, root, f"{where}.{key}")


def _k_additional(value, arg, schema, root, where):
    if isinstance(value, dict):
        for key in set(value) - set(schema.get("properties", {})):
            if arg is False:
                _fail(where, f"unexpected property {key!r}")
            elif isinstance(arg, dict):
                _check(value[key], arg, root, f"{where}.{key}")


def _k_property_names(value, arg, schema, root, where):
    if isinstance(value, dict):
        for key in value:
            _check(key, arg, root, f"{where}[name {key!r}]")


def _k_items(value, arg, schema, root, where):
    if isinstance(value, list):
        start = len(schema.get("prefixItems", []))
        for i, item in enumerate(value[start:], start):
            _check(item, arg, root, f"{where}[{i}]")


def _k_prefix_items(value, arg, schema, root, where):
    if isinstance(value, list):
        for i, (item, sub) in enumerate(zip(value, arg)):
            _check(item, sub, root, f"{where}[{i}]")


def _bound(check, message):
    def keyword(value, arg, schema, root, where):
        if check(value, arg):
            _fail(where, message.format(value=value, arg=arg))

    return keyword


def _k_ref(value, arg, schema, root, where):
    if not arg.startswith("#/"):
        raise NotImplementedError(f"only local $ref, got {arg}")
    target = root
    for part in arg[2:].split("/"):
        target = target[part]
    _check(value, target, root, where)


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_KEYWORDS = {
    "type": _k_type,
    "const": _k_const,
    "enum": _k_enum,
    "required": _k_required,
    "properties": _k_properties,
    "additionalProperties": _k_additional,
    "propertyNames": _k_property_names,
    "items": _k_items,
    "prefixItems": _k_prefix_items,
    "$ref": _k_ref,
    "$defs": lambda *a: None,
    "minimum": _bound(lambda v, a: _number(v) and v < a, "{value} < {arg}"),
    "maximum": _bound(lambda v, a: _number(v) and v > a, "{value} > {arg}"),
    "exclusiveMinimum": _bound(lambda v, a: _number(v) and v <= a, "{value} <= {arg}"),
    "minLength": _bound(
        lambda v, a: isinstance(v, str) and len(v) < a, "{value!r} shorter than {arg}"
    ),
    "minItems": _bound(lambda v, a: isinstance(v, list) and len(v) < a, "fewer than {arg} items"),
    "maxItems": _bound(lambda v, a: isinstance(v, list) and len(v) > a, "more than {arg} items"),
    "minProperties": _bound(
        lambda v, a: isinstance(v, dict) and len(v) < a, "fewer than {arg} properties"
    ),
    "uniqueItems": _bound(
        lambda v, a: a and isinstance(v, list) and len({json.dumps(i) for i in v}) < len(v),
        "items are not unique",
    ),
}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_run():
    classifier = PoseClassifier(default_samples())
    plan = WorkoutPlan(reps={"squats_down": 2, "pushups_down": 2}, seed=3)
    return run_demo(classifier, plan)


@pytest.fixture(scope="module")
def report(demo_run):
    workout, result, counting = demo_run
    return build_report(
        result, counting, samples_source="bundled", landmarks_model=workout.track.model
    )


# ---------------------------------------------------------------- tests


def test_schema_is_shipped_inside_the_package_and_is_draft_2020_12():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    try:
        import jsonschema
    except ImportError:
        return
    jsonschema.Draft202012Validator.check_schema(schema)


def test_report_validates_and_survives_a_json_round_trip(report, tmp_path):
    validate(report, load_schema())
    path = tmp_path / "report.json"
    write_report(report, path)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded == report
    validate(loaded, load_schema())


def test_report_content_follows_the_run(demo_run, report):
    workout, result, counting = demo_run
    assert report["tool"] == {"name": "pyengine", "version": __version__}
    assert report["counts"] == result.counts == workout.truth_counts
    assert report["input"]["frames_processed"] == len(workout.track)
    assert report["input"]["landmarks_model"] == workout.track.model
    assert report["samples"]["source"] == "bundled"
    assert report["samples"]["count"] == len(counting.classifier.samples)
    assert set(report["samples"]["classes"]) >= {"squats_down", "pushups_down"}
    settings = report["settings"]
    assert settings["backend"] == counting.classifier.backend
    assert settings["target_classes"] == ["squats_down", "pushups_down"]
    assert (settings["top_n_by_max_distance"], settings["top_n_by_mean_distance"]) == (30, 10)
    assert settings["axes_weights"] == [1.0, 1.0, 0.2]
    assert (settings["window_size"], settings["alpha"]) == (10, 0.2)
    assert (settings["enter_threshold"], settings["exit_threshold"]) == (6, 4)
    assert settings["model"] is None  # saved landmarks, no pose model ran
    for name, reps in report["repetitions"].items():
        assert [r["end_frame"] for r in reps] == [r.end_frame for r in result.repetitions[name]]
        for rep in reps:
            assert rep["start_frame"] < rep["end_frame"]
            assert rep["start_s"] < rep["end_s"]
    no_pose = report["no_pose_frames"]
    assert no_pose["count"] == len(result.no_pose_frames)
    expanded = [i for a, b in no_pose["ranges"] for i in range(a, b + 1)]
    assert expanded == result.no_pose_frames
    assert set(report["latency_ms"]) == {"classify", "smooth_count"}
    assert report["latency_ms"]["classify"]["n"] == len(workout.track)
    assert math.isclose(report["effective_fps"], result.effective_fps)
    assert report["warnings"] == []


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda r: r.pop("counts"),
        lambda r: r["counts"].update(squats_down=-1),
        lambda r: r["counts"].update(squats_down=2.5),
        lambda r: r["latency_ms"].update(teleport={"mean": 1, "p50": 1, "p95": 1, "n": 1}),
        lambda r: r["latency_ms"]["classify"].pop("p95"),
        lambda r: r["no_pose_frames"]["ranges"].append([4]),
        lambda r: r["settings"]["axes_weights"].append(1.0),
        lambda r: r.update(format_version=2),
        lambda r: r.update(unexpected=True),
        lambda r: r["input"].update(frames="many"),
        lambda r: r["repetitions"]["squats_down"].append({"start_frame": 1}),
    ],
)
def test_schema_rejects_broken_reports(report, corrupt):
    broken = json.loads(json.dumps(report))
    corrupt(broken)
    with pytest.raises(SchemaViolation):
        validate(broken, load_schema())


def test_write_report_is_atomic(report, tmp_path):
    path = tmp_path / "report.json"
    path.write_text("previous\n", encoding="utf-8")
    broken = dict(report, effective_fps=float("nan"))  # not valid JSON: refused
    with pytest.raises(ValueError):
        write_report(broken, path)
    assert path.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_summary_names_counts_reps_gaps_latency_and_backend(report):
    text = format_summary(report)
    for name, count in report["counts"].items():
        assert re.search(rf"^{name}\s+{count}\s", text, re.MULTILINE)
    first = report["repetitions"]["squats_down"][0]
    assert f"{first['start_s']:.2f}-{first['end_s']:.2f}" in text
    assert f"frames without a pose: {report['no_pose_frames']['count']} of" in text
    assert re.search(r"^classify\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+$", text, re.MULTILINE)
    assert f"back end: {report['settings']['backend']}" in text
