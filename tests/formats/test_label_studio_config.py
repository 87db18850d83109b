"""Label Studio labeling configs (its own templates) to ontologies and back."""

from __future__ import annotations

import pytest

from labelwell.errors import InvalidInput
from labelwell.formats.label_studio_config import config_from_ontology, ontology_from_config
from labelwell.schema import Ontology

SENTIMENT = """<View>
  <Text name="text" value="$text"/>
  <View style="box-shadow: 2px 2px 5px #999; padding: 20px; margin-top: 2em;">
    <Header value="Choose text sentiment"/>
    <Choices name="sentiment" toName="text" choice="single" showInLine="true" required="true">
      <Choice value="Positive"/>
      <Choice value="Negative"/>
      <Choice value="Neutral"/>
    </Choices>
  </View>
</View>"""

RELATIONS = """<View>
  <Relations>
    <Relation value="org:founded_by"/>
    <Relation value="org:founded"/>
  </Relations>
  <Labels name="label" toName="text">
    <Label value="Organization" background="orange"/>
    <Label value="Person" background="green"/>
    <Label value="사람" background="blue"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""

POSE = """<View>
  <Image name="img" value="$image" zoom="true"/>
  <RectangleLabels name="box" toName="img">
    <Label value="person" background="green"/>
  </RectangleLabels>
  <KeyPointLabels name="kp" toName="img">
    <Label value="nose" background="red"/>
    <Label value="left_eye" background="blue"/>
  </KeyPointLabels>
  <PolygonLabels name="poly" toName="img"><Label value="road"/></PolygonLabels>
  <BrushLabels name="tag" toName="img">
    <Label value="Airplane" background="rgba(255, 0, 0, 0.7)"/>
  </BrushLabels>
</View>"""

PAIRWISE = """<View>
  <Header value="Select one of two items"/>
  <Pairwise name="pw" toName="text1,text2" />
  <Text name="text1" value="$text1" />
  <Text name="text2" value="$text2" />
</View>"""

RANKER = """<View>
  <Text name="prompt" value="$prompt" />
  <List name="results" value="$items" title="Search results" />
  <Ranker name="rank" toName="results">
    <Bucket name="best" title="Best results" />
    <Bucket name="ads" title="Paid results" />
  </Ranker>
</View>"""

MIXED = """<View>
  <Text name="text" value="$text"/>
  <Taxonomy name="taxonomy" toName="text">
    <Choice value="Archaea" />
    <Choice value="Eukarya">
      <Choice value="Human" />
    </Choice>
  </Taxonomy>
  <Rating name="rating" toName="text" maxRating="10" icon="star" size="medium" />
  <TextArea name="answer" toName="text" rows="4" editable="true" maxSubmissions="1"/>
  <EllipseLabels name="ell" toName="text"><Label value="Eye"/></EllipseLabels>
  <Number name="count" toName="text"/>
  <TextArea name="note" toName="text" perRegion="true"/>
</View>"""


def _controls(xml: str) -> dict[str, dict]:
    conv = ontology_from_config(xml, "t")
    Ontology.from_dict(conv.ontology)  # a valid ontology
    return {c["name"]: c for c in conv.ontology["controls"]}


def test_text_classification_template():
    assert _controls(SENTIMENT) == {
        "sentiment": {
            "name": "sentiment",
            "source": "text",
            "required": True,
            "type": "choice",
            "options": ["Positive", "Negative", "Neutral"],
        }
    }


def test_relation_extraction_template_keeps_colours_and_korean_labels():
    ctrls = _controls(RELATIONS)
    assert ctrls["label"]["type"] == "spans"
    assert ctrls["label"]["labels"][2] == {"name": "사람", "color": "blue"}
    assert ctrls["relations"] == {
        "name": "relations",
        "type": "relations",
        "spans": "label",
        "labels": [{"name": "org:founded_by"}, {"name": "org:founded"}],
    }


def test_image_controls_and_the_pose_layout():
    ctrls = _controls(POSE)
    assert [(n, c["type"], c["source"]) for n, c in ctrls.items()] == [
        ("box", "bbox", "image"),
        ("kp", "keypoints", "image"),
        ("poly", "polygon", "image"),
        ("tag", "mask", "image"),
    ]
    # each rectangle label is a skeleton of the keypoint labels
    skeleton = {"keypoints": ["nose", "left_eye"], "edges": []}
    assert ctrls["kp"]["labels"] == [
        {"name": "kp", "skeleton": skeleton},
        {"name": "person", "skeleton": skeleton},
    ]


def test_pairwise_and_ranker_templates():
    conv = ontology_from_config(PAIRWISE)
    assert conv.ontology["controls"] == [
        {"name": "pw", "type": "pairwise", "allow_tie": False, "allow_both_bad": False}
    ]
    assert conv.pairwise_fields == ("text1", "text2")
    conv = ontology_from_config(RANKER)
    assert conv.ontology["controls"] == [
        {"name": "rank", "source": "items", "type": "ranking", "allow_ties": True}
    ]
    assert conv.ranker_buckets == ("best", "ads")


def test_what_cannot_be_converted_is_listed():
    conv = ontology_from_config(MIXED, "mixed")
    ctrls = {c["name"]: c for c in conv.ontology["controls"]}
    assert ctrls["taxonomy"]["options"] == ["Archaea", "Eukarya", "Eukarya / Human"]
    assert ctrls["rating"]["scale"] == [1, 10]
    assert ctrls["answer"]["type"] == "text"
    assert set(ctrls) == {"taxonomy", "rating", "answer"}
    skipped = "\n".join(conv.skipped)
    for name in ("ell", "count", "note", "taxonomy"):
        assert f"name={name!r}" in skipped
    assert "per region" in skipped and "EllipseLabels" in skipped


@pytest.mark.parametrize(
    ("xml", "says"),
    [
        ("", "empty"),
        ("<View><Text", "not XML"),
        ("<Hello/>", "must start with <View>"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><View/>', "DOCTYPE"),
        ('<View><Number name="n" toName="t"/><Text name="t" value="$t"/></View>', "Number"),
    ],
)
def test_bad_configs_are_refused_with_the_reason(xml, says):
    with pytest.raises(InvalidInput, match=says) as refused:
        ontology_from_config(xml)
    assert refused.value.field == "label_config"


@pytest.mark.parametrize("xml", [SENTIMENT, RELATIONS, POSE, MIXED])
def test_the_config_of_a_converted_ontology_converts_back_to_it(xml):
    first = ontology_from_config(xml, "t")
    if "Taxonomy" in xml:  # a taxonomy comes back as choices
        first.ontology["controls"][0]["type"] = "multi_choice"
    again = ontology_from_config(config_from_ontology(first.ontology).xml, "t")
    assert again.ontology == first.ontology
    assert [s for s in again.skipped if "Taxonomy" not in s] == []


def test_the_config_of_a_pairwise_project_is_the_comparison_template():
    ont = {"name": "p", "controls": [{"name": "pref", "type": "pairwise"}]}
    config = config_from_ontology(ont, layout="comparison")
    assert config.notes == []
    assert '<Pairwise name="pref" toName="answer1,answer2" />' in config.xml
    back = ontology_from_config(config.xml)
    assert back.ontology["controls"] == [
        {"name": "pref", "type": "pairwise", "allow_tie": True, "allow_both_bad": True}
    ]
    assert back.pairwise_fields == ("answer1", "answer2")
    assert "label_studio_comparison" in config_from_ontology(ont).notes[0]


def test_a_source_less_choice_points_at_the_projects_text():
    ont = {
        "name": "p",
        "controls": [
            {"name": "spans", "type": "spans", "source": "body", "labels": ["A"]},
            {"name": "ok", "type": "choice", "options": ["yes", "no"]},
        ],
    }
    xml = config_from_ontology(ont).xml
    assert '<Text name="body" value="$body" />' in xml
    assert '<Choices name="ok" toName="body">' in xml
