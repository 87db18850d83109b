"""Words of the point-cloud (cuboid) tool in the workspace."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "work.pc_suggest": {"en": "Suggest cuboids", "ko": "큐보이드 제안"},
    "work.pc_suggesting": {"en": "Finding objects…", "ko": "물체를 찾는 중…"},
    "work.pc_suggestions": {"en": "suggestions", "ko": "개 제안"},
    "work.pc_suggestion": {"en": "suggestion", "ko": "제안"},
    "work.pc_keyframe": {"en": "Keyframe", "ko": "키프레임"},
    "work.pc_frame": {"en": "Frame", "ko": "프레임"},
    "work.pc_points": {"en": "points", "ko": "개 점"},
    "work.pc_loading": {"en": "Loading points…", "ko": "점을 불러오는 중…"},
    "work.pc_top": {"en": "Top", "ko": "위"},
    "work.pc_side": {"en": "Side", "ko": "옆"},
    "work.pc_front": {"en": "Front", "ko": "앞"},
    "work.pc_camera": {"en": "Camera image of this frame", "ko": "이 프레임의 카메라 이미지"},
    "work.pc_interpolated": {"en": "interpolated", "ko": "보간됨"},
    "work.pc_interpolated_delete": {
        "en": "An interpolated box: K makes it a keyframe, Shift+Del removes its whole track",
        "ko": "보간된 상자입니다: K로 키프레임을 만들고, Shift+Del로 트랙 전체를 지웁니다",
    },
    "work.pc_draw": {
        "en": "drag in the Top view to draw a cuboid",
        "ko": "위 보기에서 끌어 큐보이드를 그리세요",
    },
    "work.pc_keys": {
        "en": (
            "Keys: 1-9 label · arrows move (Shift 1 m) · PgUp/PgDn up/down · Q/E turn"
            " (Shift 10°) · Z/X length · C/V width · F/G height · N next box · , . frame"
            " · K keyframe · M suggest · Y take suggestion · R relabel · Del delete"
            " (Shift: track) · Esc"
        ),
        "ko": (
            "키: 1-9 레이블 · 화살표 이동(Shift 1 m) · PgUp/PgDn 위/아래 · Q/E 회전"
            "(Shift 10°) · Z/X 길이 · C/V 너비 · F/G 높이 · N 다음 상자 · , . 프레임"
            " · K 키프레임 · M 제안 · Y 제안 받기 · R 레이블 변경 · Del 삭제"
            "(Shift: 트랙) · Esc"
        ),
    },
}
