"""Control types. Importing this package registers every built-in type in
``CONTROL_TYPES``; a plug-in registers its own with ``register_control``."""

from labelwell.schema.controls.base import (
    CONTROL_TYPES,
    Control,
    RegionControl,
    Validator,
    register_control,
)
from labelwell.schema.controls.classification import Choice, MultiChoice, Rating, Text
from labelwell.schema.controls.image import BBox, Keypoints, Polygon
from labelwell.schema.controls.masks import Mask, Panoptic
from labelwell.schema.controls.media import Cuboid, TimeRegion, VideoTrack
from labelwell.schema.controls.rlhf import Correction, Pairwise, Ranking
from labelwell.schema.controls.text import Relations, Spans

__all__ = [
    "CONTROL_TYPES",
    "BBox",
    "Choice",
    "Control",
    "Correction",
    "Cuboid",
    "Keypoints",
    "Mask",
    "MultiChoice",
    "Pairwise",
    "Panoptic",
    "Polygon",
    "Ranking",
    "Rating",
    "RegionControl",
    "Relations",
    "Spans",
    "Text",
    "TimeRegion",
    "Validator",
    "VideoTrack",
    "register_control",
]
