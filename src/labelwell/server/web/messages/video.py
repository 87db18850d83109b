"""The video tool's words: player, tracks, segments and tracker suggestions."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "work.video_frame": {"en": "Frame", "ko": "프레임"},
    "work.video_seek": {"en": "Seek to a frame", "ko": "프레임으로 이동"},
    "work.video_play": {"en": "Play", "ko": "재생"},
    "work.video_pause": {"en": "Pause", "ko": "일시정지"},
    "work.video_prev": {"en": "Previous frame (,)", "ko": "이전 프레임 (,)"},
    "work.video_next": {"en": "Next frame (.)", "ko": "다음 프레임 (.)"},
    "work.video_tracks": {"en": "Tracks over time", "ko": "시간에 따른 트랙"},
    "work.video_segments": {"en": "Segments over time", "ko": "시간에 따른 구간"},
    "work.video_keyframes": {"en": "keyframes", "ko": "키프레임"},
    "work.video_absent": {"en": "not in this frame", "ko": "이 프레임에 없음"},
    "work.video_follow": {"en": "Follow with tracker", "ko": "추적기로 따라가기"},
    "work.video_accept": {"en": "Accept suggestions", "ko": "제안 수락"},
    "work.video_following": {"en": "Following the box…", "ko": "상자를 따라가는 중…"},
    "work.video_suggested": {
        "en": "frames suggested; A accepts, Esc drops them",
        "ko": "개 프레임 제안됨; A 수락, Esc 취소",
    },
    "work.video_select_first": {
        "en": "Select a track that is in this frame first",
        "ko": "먼저 이 프레임에 있는 트랙을 선택하세요",
    },
    "work.video_track_keys": {
        "en": ", . frame (Shift: 10) · Space play · drag: new track or keyframe · "
        "O outside · C occluded · K keyframe · N/P next/previous keyframe · "
        "↑/↓ track · T follow · Delete keyframe (Shift: track)",
        "ko": ", . 프레임 (Shift: 10) · Space 재생 · 끌기: 새 트랙 또는 키프레임 · "
        "O 화면 밖 · C 가려짐 · K 키프레임 · N/P 다음/이전 키프레임 · "
        "↑/↓ 트랙 · T 따라가기 · Delete 키프레임 (Shift: 트랙)",
    },
    "work.video_segment_keys": {
        "en": ", . frame (Shift: 10) · Space play · [ start here · ] end here · "
        "Delete removes the selected segment",
        "ko": ", . 프레임 (Shift: 10) · Space 재생 · [ 여기서 시작 · ] 여기서 끝 · "
        "Delete 선택한 구간 삭제",
    },
    "work.video_segment_open": {"en": "Segment started at", "ko": "구간 시작:"},
}
