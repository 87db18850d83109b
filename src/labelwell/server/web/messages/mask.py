"""The mask and panoptic tool's words (static/js/tools/mask.js)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "work.mask_brush": {"en": "Brush", "ko": "브러시"},
    "work.mask_eraser": {"en": "Eraser", "ko": "지우개"},
    "work.mask_polygon": {"en": "Polygon", "ko": "다각형"},
    "work.mask_fill": {"en": "Fill", "ko": "채우기"},
    "work.mask_superpixel": {"en": "Superpixels", "ko": "슈퍼픽셀"},
    "work.mask_grabcut": {"en": "GrabCut box", "ko": "GrabCut 상자"},
    "work.mask_model": {"en": "Model clicks", "ko": "모델 클릭"},
    "work.mask_new": {"en": "New instance", "ko": "새 인스턴스"},
    "work.mask_size": {"en": "brush", "ko": "브러시 크기"},
    "work.mask_opacity": {"en": "Opacity", "ko": "불투명도"},
    "work.mask_hide": {"en": "Hide", "ko": "숨기기"},
    "work.mask_asking": {"en": "Asking for a suggestion…", "ko": "제안을 요청하는 중…"},
    "work.mask_suggested": {"en": "Suggested by", "ko": "제안:"},
    "work.mask_preparing": {"en": "Preparing the image: {n}%", "ko": "이미지 준비 중: {n}%"},
    "work.mask_preview": {
        "en": "a preview until it is ready",
        "ko": "준비될 때까지 미리보기",
    },
    "work.mask_no_help": {
        "en": "Machine help needs a saved item",
        "ko": "기계 도움은 저장된 항목에서만 쓸 수 있습니다",
    },
    "work.mask_hint_brush": {
        "en": "drag to paint · [ ] size · N new instance · E eraser",
        "ko": "드래그해 칠하기 · [ ] 크기 · N 새 인스턴스 · E 지우개",
    },
    "work.mask_hint_eraser": {
        "en": "drag to erase the selected layer (any layer when none is selected)",
        "ko": "드래그해 선택한 레이어 지우기 (선택이 없으면 모든 레이어)",
    },
    "work.mask_hint_polygon": {
        "en": "click the corners · Enter or the first point fills it",
        "ko": "꼭짓점 클릭 · Enter 또는 첫 점을 누르면 채움",
    },
    "work.mask_hint_fill": {
        "en": "click a region to fill it (within the view)",
        "ko": "영역을 클릭해 채우기 (보이는 범위 안)",
    },
    "work.mask_hint_superpixel": {
        "en": "click or drag to paint whole superpixels",
        "ko": "클릭하거나 드래그해 슈퍼픽셀 단위로 칠하기",
    },
    "work.mask_hint_grabcut": {
        "en": "drag a box around the object for a GrabCut suggestion",
        "ko": "객체를 상자로 감싸면 GrabCut이 제안합니다",
    },
    "work.mask_hint_model": {
        "en": "click the object (Shift+click: not the object) · Enter done",
        "ko": "객체 클릭 (Shift+클릭: 객체 아님) · Enter 완료",
    },
}
