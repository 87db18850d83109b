"""The label ontology: what a project labels, and the fast validation of every
submitted result against it.

    ont = Ontology.from_yaml(text)
    ont.validate(result, data)      # raises labelwell.errors.InvalidInput(field=...)
"""

from labelwell.schema.builder import OntologyBuilder
from labelwell.schema.controls import CONTROL_TYPES, Control, RegionControl, register_control
from labelwell.schema.labels import ATTRIBUTE_TYPES, Attribute, Label, Skeleton
from labelwell.schema.ontology import Ontology

__all__ = [
    "ATTRIBUTE_TYPES",
    "CONTROL_TYPES",
    "Attribute",
    "Control",
    "Label",
    "Ontology",
    "OntologyBuilder",
    "RegionControl",
    "Skeleton",
    "register_control",
]
