"""Messages of the annotator's workspace (progress, going back, RLHF cards)
and of the project builder's errors."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # progress and feedback
    "work.progress": {
        "en": "{done} done today · {left} left for you",
        "ko": "오늘 {done}개 완료 · 남은 항목 {left}개",
    },
    "work.progress_done": {"en": "{done} done today", "ko": "오늘 {done}개 완료"},
    "work.submitted": {"en": "Submitted ✓", "ko": "제출했습니다 ✓"},
    "work.skipped": {"en": "Skipped", "ko": "건너뛰었습니다"},
    "work.done_title": {"en": "All done here", "ko": "모두 끝났습니다"},
    # going back to the latest submissions
    "work.recent": {"en": "Your latest items", "ko": "최근 제출한 항목"},
    "work.recent_none": {"en": "Nothing submitted yet.", "ko": "아직 제출한 항목이 없습니다."},
    "work.recent_item": {"en": "Item {id}", "ko": "항목 {id}"},
    "work.recent_edited": {"en": "edited", "ko": "수정됨"},
    "work.recent_locked": {"en": "locked", "ko": "잠김"},
    "work.go_back": {"en": "Go back", "ko": "이전 항목"},
    "work.editing": {
        "en": "Editing your submitted label for item {id}. Saving keeps the earlier "
        "version as a revision.",
        "ko": "항목 {id}에 제출한 라벨을 수정하는 중입니다. 저장해도 이전 버전은 "
        "수정 기록으로 남습니다.",
    },
    "work.locked": {
        "en": "This label can no longer be edited in this project.",
        "ko": "이 프로젝트에서는 이 라벨을 더 이상 수정할 수 없습니다.",
    },
    "work.save_edit": {"en": "Save changes", "ko": "변경 사항 저장"},
    "work.back_to_queue": {"en": "Back to the queue", "ko": "작업으로 돌아가기"},
    "work.edit_saved": {
        "en": "Changes saved (revision {n})",
        "ko": "변경 사항을 저장했습니다 (수정본 {n})",
    },
    "work.edit_failed": {
        "en": "Could not save the changes",
        "ko": "변경 사항을 저장하지 못했습니다",
    },
    # RLHF
    "work.rates": {"en": "Rates", "ko": "평가 대상"},
    "work.rates_response": {"en": "Response {letter}", "ko": "응답 {letter}"},
    "work.rates_together": {
        "en": "Responses {letters}, together",
        "ko": "응답 {letters} 전체",
    },
    "work.rates_field": {"en": "the item's “{field}”", "ko": "항목의 “{field}”"},
    "work.tie_above": {"en": "Tie with the one above", "ko": "위 응답과 동점"},
    "work.untie": {"en": "Untie", "ko": "동점 해제"},
    "work.tied": {"en": "tied", "ko": "동점"},
    "help.go_back": {
        "en": "open your latest submitted item to edit it (again: the one before); "
        "Esc: back to the queue",
        "ko": "최근 제출한 항목을 열어 수정 (다시 누르면 그 전 항목); Esc: 작업으로 돌아가기",
    },
    "help.tie": {
        "en": "ranking with ties: tie the focused response with the one above (again: untie)",
        "ko": "동점을 허용하는 순위: 선택한 응답을 위 응답과 동점으로 (다시 누르면 해제)",
    },
    # the project builder's errors, in words
    "new.required": {"en": "Required", "ko": "필수"},
    "new.type_placeholder": {"en": "Choose a type…", "ko": "유형 선택…"},
    "new.err_control_name": {
        "en": "Give the control a name.",
        "ko": "컨트롤 이름을 입력하세요.",
    },
    "new.err_control_dup": {
        "en": "There is already a control with this name.",
        "ko": "같은 이름의 컨트롤이 이미 있습니다.",
    },
    "new.err_type": {"en": "Choose the control's type.", "ko": "컨트롤 유형을 고르세요."},
    "new.err_options": {
        "en": "List the options, separated by commas.",
        "ko": "선택지를 쉼표로 구분해 입력하세요.",
    },
    "new.err_labels": {
        "en": "List the labels, separated by commas.",
        "ko": "라벨을 쉼표로 구분해 입력하세요.",
    },
    "new.err_json": {
        "en": "The ontology text is not valid JSON. Fix it, or clear it and add the "
        "controls again with the form.",
        "ko": "온톨로지 텍스트가 올바른 JSON이 아닙니다. 고치거나, 지우고 양식으로 "
        "컨트롤을 다시 추가하세요.",
    },
    "new.err_name": {"en": "Give the project a name.", "ko": "프로젝트 이름을 입력하세요."},
    "new.err_name_taken": {
        "en": "A project with this name already exists. Choose another name.",
        "ko": "같은 이름의 프로젝트가 이미 있습니다. 다른 이름을 고르세요.",
    },
    "new.err_overlap": {
        "en": "Overlap must be a whole number from 1 to 100.",
        "ko": "중복은 1부터 100 사이의 정수여야 합니다.",
    },
    "new.err_gold_ratio": {
        "en": "The gold ratio must be a number from 0 to 1 (0.05 is 5 %).",
        "ko": "골드 비율은 0부터 1 사이의 숫자여야 합니다 (0.05는 5%).",
    },
    "new.err_no_controls": {
        "en": "Add at least one control before creating the project.",
        "ko": "프로젝트를 만들기 전에 컨트롤을 하나 이상 추가하세요.",
    },
    "new.err_in_control": {
        "en": "Control “{name}”: {problem}",
        "ko": "컨트롤 “{name}”: {problem}",
    },
    "new.err_other": {
        "en": "The project could not be created: {problem}",
        "ko": "프로젝트를 만들지 못했습니다: {problem}",
    },
}
