"""Messages the media tools share (loading, failing, a control with no tool).
Each tool's own words live in its own module beside this one."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "work.tool_loading": {"en": "Loading the tool…", "ko": "도구를 불러오는 중…"},
    "work.tool_failed": {"en": "The tool could not load", "ko": "도구를 불러오지 못했습니다"},
    "work.not_editable": {
        "en": "{type}: this control has no tool in the browser",
        "ko": "{type}: 이 컨트롤은 브라우저에서 편집할 도구가 없습니다",
    },
}
