"""The audio tool's words (static/js/tools/audio.js)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "work.audio_play": {"en": "Play / pause", "ko": "재생 / 일시정지"},
    "work.audio_play_region": {"en": "Play region", "ko": "구간 재생"},
    "work.audio_loop": {"en": "Loop", "ko": "반복"},
    "work.audio_spectrogram": {"en": "Spectrogram", "ko": "스펙트로그램"},
    "work.audio_find_speech": {"en": "Find speech", "ko": "음성 구간 찾기"},
    "work.audio_transcribe": {"en": "Transcribe", "ko": "받아쓰기"},
    "work.audio_transcribed": {"en": "Transcripts suggested by", "ko": "받아쓰기 제안:"},
    "work.audio_suggested": {"en": "speech regions suggested", "ko": "개의 음성 구간 제안"},
    "work.audio_accept": {"en": "Accept", "ko": "받아들이기"},
    "work.audio_dismiss": {"en": "Dismiss", "ko": "버리기"},
    "work.audio_use": {"en": "Use", "ko": "사용"},
    "work.audio_failed": {"en": "Machine help failed", "ko": "기계 도움이 실패했습니다"},
    "work.audio_speaker": {"en": "speaker", "ko": "화자"},
    "work.audio_speakers": {"en": "Speakers", "ko": "화자"},
    "work.audio_transcript": {"en": "Transcript", "ko": "받아쓴 글"},
    "work.audio_marking": {"en": "Region starts at", "ko": "구간 시작:"},
    "work.audio_draw": {
        "en": "drag on the waveform, or M at the start and M at the end",
        "ko": "파형 위를 끌거나, 시작에서 M, 끝에서 M",
    },
    "work.audio_keys": {
        "en": "Space play · P play region · L loop · [ ] speed · M mark start/end · "
        "← → regions · Shift+← → seek 5 s · Shift+1-9 speaker · T transcript · "
        "D find speech · A accept · V spectrogram · + − 0 zoom · Delete remove",
        "ko": "Space 재생 · P 구간 재생 · L 반복 · [ ] 속도 · M 시작/끝 표시 · "
        "← → 구간 이동 · Shift+← → 5초 이동 · Shift+1-9 화자 · T 받아쓰기 · "
        "D 음성 찾기 · A 받아들이기 · V 스펙트로그램 · + − 0 확대 · Delete 삭제",
    },
}
