"""Property tests: whatever JSON arrives on the submit path, validation either
accepts it or raises ``InvalidInput`` (never a TypeError, KeyError... a 500)."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelwell.errors import InvalidInput
from labelwell.schema import CONTROL_TYPES, Ontology

from .conftest import EXAMPLES


def _every_type() -> Ontology:
    controls: list[dict[str, Any]] = []
    names: set[str] = set()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for control in Ontology.from_file(path).to_dict()["controls"]:
            if control["name"] not in names:
                names.add(control["name"])
                controls.append(control)
    return Ontology.from_dict({"name": "everything", "controls": controls})


ONT = _every_type()
REGION_KEYS = [
    "id", "label", "start", "end", "text", "attributes", "x", "y", "width", "height", "points",
    "rle", "size", "counts", "instance_id", "is_thing", "speaker", "track_id", "keyframes", "frame",
    "outside", "center", "dimensions", "rotation", "tracking_id", "num_points", "from", "to",
    "choice", "reason", "response_id",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.integers(-3, 20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["a", "b", "r1", "r2", "s0", "person", "car", "speech", "PER", "nose", "0"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(REGION_KEYS), inner, max_size=5)
    ),
    max_leaves=20,
)
regions = st.dictionaries(st.sampled_from(REGION_KEYS), json_values, max_size=8)
control_values = json_values | st.lists(regions, max_size=3) | regions
results = st.dictionaries(
    st.sampled_from([c.name for c in ONT.controls]) | st.text(max_size=4),
    control_values,
    max_size=6,
)
data_values = st.fixed_dictionaries(
    {},
    optional={
        "text": st.text(max_size=30) | json_values,
        "width": json_values | st.integers(1, 50),
        "height": json_values | st.integers(1, 50),
        "duration": json_values | st.floats(0.1, 100),
        "frames": json_values | st.integers(1, 50),
        "responses": json_values
        | st.lists(
            st.fixed_dictionaries(
                {"id": st.sampled_from(["a", "b", "r1", "r2"]), "text": st.text(max_size=3)}
            ),
            max_size=4,
        ),
    },
)
# LABELWELL_FUZZ_EXAMPLES raises the count for a longer hunt outside CI.
FAST = settings(
    max_examples=int(os.environ.get("LABELWELL_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def only_invalid_input(call, *args) -> None:
    try:
        call(*args)
    except InvalidInput as err:
        assert err.message
        assert err.field is None or isinstance(err.field, str)


@FAST
@given(result=json_values, data=json_values)
def test_arbitrary_json_only_raises_invalid_input(result, data) -> None:
    only_invalid_input(ONT.validate, result, data)
    only_invalid_input(ONT.validate_data, data)


@FAST
@given(result=results, data=data_values)
def test_near_valid_results_only_raise_invalid_input(result, data) -> None:
    only_invalid_input(ONT.validate, result, data)
    only_invalid_input(ONT.validate_data, data)


@FAST
@given(
    spec=st.fixed_dictionaries(
        {
            "name": json_values,
            "controls": st.lists(
                st.dictionaries(
                    st.sampled_from(
                        [
                            "name",
                            "type",
                            "labels",
                            "options",
                            "source",
                            "spans",
                            "scale",
                            "aspects",
                            "required",
                            "skeleton",
                            "attributes",
                            "allow_ties",
                            "max_length",
                        ]
                    ),  # fmt: skip
                    json_values | st.sampled_from(sorted(CONTROL_TYPES)),
                    max_size=6,
                ),
                max_size=3,
            )
            | json_values,
        }
    )
)
def test_arbitrary_ontologies_only_raise_invalid_input(spec) -> None:
    only_invalid_input(Ontology.from_dict, spec)


NER = Ontology.from_dict(
    {
        "name": "n",
        "controls": [{"name": "e", "type": "spans", "labels": ["A"], "allow_overlap": False}],
    }
)


@FAST
@given(text=st.text(min_size=1, max_size=40), cuts=st.lists(st.integers(0, 40), max_size=8))
def test_spans_cut_from_any_unicode_text_are_accepted(text, cuts) -> None:
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    spans = [
        {"id": f"s{i}", "start": a, "end": b, "label": "A", "text": text[a:b]}
        for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]
    NER.validate({"e": spans}, {"text": text})
