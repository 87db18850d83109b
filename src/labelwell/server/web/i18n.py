"""The interface message catalogue, English and Korean. Templates call
``t(key)``; the workspace scripts receive the catalogue in their boot data.

The core pages' messages are below; each larger area of the web app keeps its
own messages in a module of :mod:`labelwell.server.web.messages` (a
``MESSAGES`` dict of the same shape), merged here once. A key defined twice
is an error at import, so two areas never silently overwrite each other."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

LANGUAGES = ("en", "ko")

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"en": "labelwell", "ko": "labelwell"},
    "nav.projects": {"en": "Projects", "ko": "프로젝트"},
    "nav.logout": {"en": "Log out", "ko": "로그아웃"},
    "nav.language": {"en": "Language", "ko": "언어"},
    "login.title": {"en": "Log in", "ko": "로그인"},
    "login.email": {"en": "Email", "ko": "이메일"},
    "login.password": {"en": "Password", "ko": "비밀번호"},
    "login.submit": {"en": "Log in", "ko": "로그인"},
    "login.failed": {"en": "Wrong email or password.", "ko": "이메일 또는 비밀번호가 틀렸습니다."},
    "login.throttled": {
        "en": "Too many failed logins. Try again in {seconds} seconds.",
        "ko": "로그인 실패가 너무 많습니다. {seconds}초 후에 다시 시도하세요.",
    },
    "login.busy": {
        "en": "The server is busy. Try again in a moment.",
        "ko": "서버가 바쁩니다. 잠시 후 다시 시도하세요.",
    },
    "reset.title": {"en": "Set your password", "ko": "비밀번호 설정"},
    "reset.for": {"en": "New password for {email}", "ko": "{email}의 새 비밀번호"},
    "reset.password": {"en": "New password", "ko": "새 비밀번호"},
    "reset.confirm": {"en": "Repeat the new password", "ko": "새 비밀번호 확인"},
    "reset.rules": {
        "en": "At least 8 characters; not a common password and not your email address.",
        "ko": "8자 이상이어야 하며, 흔한 비밀번호나 이메일 주소는 사용할 수 없습니다.",
    },
    "reset.submit": {"en": "Set password", "ko": "비밀번호 설정"},
    "reset.mismatch": {
        "en": "The two passwords differ.",
        "ko": "두 비밀번호가 서로 다릅니다.",
    },
    "reset.invalid": {
        "en": "This password link is unknown, already used or expired. Ask an admin for a new one.",
        "ko": "알 수 없거나 이미 사용되었거나 만료된 비밀번호 링크입니다. "
        "관리자에게 새 링크를 요청하세요.",
    },
    "reset.short": {
        "en": "The password must be at least 8 characters.",
        "ko": "비밀번호는 8자 이상이어야 합니다.",
    },
    "reset.common": {
        "en": "That is one of the most common passwords. Choose another.",
        "ko": "가장 흔한 비밀번호 중 하나입니다. 다른 비밀번호를 고르세요.",
    },
    "reset.email": {
        "en": "The password must not contain your email address.",
        "ko": "비밀번호에 이메일 주소를 넣을 수 없습니다.",
    },
    "reset.done": {
        "en": "Your password is set. Log in with it now.",
        "ko": "비밀번호가 설정되었습니다. 이제 로그인하세요.",
    },
    "account.title": {"en": "Change password", "ko": "비밀번호 변경"},
    "account.current": {"en": "Current password", "ko": "현재 비밀번호"},
    "account.changed": {
        "en": "Your password is changed. Your other sessions have ended.",
        "ko": "비밀번호가 변경되었습니다. 다른 세션은 모두 종료되었습니다.",
    },
    "account.wrong": {
        "en": "The current password is wrong.",
        "ko": "현재 비밀번호가 틀렸습니다.",
    },
    "account.throttled": {
        "en": "Too many wrong passwords. Try again later.",
        "ko": "잘못된 비밀번호가 너무 많습니다. 나중에 다시 시도하세요.",
    },
    "account.stale": {
        "en": "The form was out of date. Try again.",
        "ko": "양식이 오래되었습니다. 다시 시도하세요.",
    },
    "projects.title": {"en": "Your projects", "ko": "내 프로젝트"},
    "projects.none": {
        "en": "You are not a member of any project yet.",
        "ko": "아직 참여 중인 프로젝트가 없습니다.",
    },
    "projects.new": {"en": "New project", "ko": "새 프로젝트"},
    "projects.role": {"en": "Role", "ko": "역할"},
    "action.label": {"en": "Label", "ko": "라벨링"},
    "action.review": {"en": "Review", "ko": "검토"},
    "action.manage": {"en": "Manage", "ko": "관리"},
    "work.submit": {"en": "Submit", "ko": "제출"},
    "work.skip": {"en": "Skip", "ko": "건너뛰기"},
    "work.undo": {"en": "Undo", "ko": "실행 취소"},
    "work.help": {"en": "Shortcuts", "ko": "단축키"},
    "work.guidelines": {"en": "Guidelines", "ko": "가이드라인"},
    "work.version": {"en": "version", "ko": "버전"},
    "work.done": {
        "en": "Nothing left to label for you. Thank you!",
        "ko": "라벨링할 항목이 더 없습니다. 감사합니다!",
    },
    "work.loading": {"en": "Loading the next task…", "ko": "다음 작업을 불러오는 중…"},
    "work.saved": {"en": "Saved", "ko": "저장됨"},
    "work.skip_reason": {"en": "Why skip this item?", "ko": "이 항목을 건너뛰는 이유는?"},
    "work.skip_confirm": {"en": "Skip item", "ko": "항목 건너뛰기"},
    "work.cancel": {"en": "Cancel", "ko": "취소"},
    "work.suggestion": {"en": "Machine suggestion", "ko": "모델 제안"},
    "work.reject_suggestion": {"en": "Reject suggestion", "ko": "제안 거절"},
    "work.active_label": {"en": "Active label", "ko": "현재 라벨"},
    "work.delete": {"en": "Delete", "ko": "삭제"},
    "work.regions": {"en": "Regions", "ko": "영역"},
    "work.zoom_in": {"en": "Zoom in", "ko": "확대"},
    "work.zoom_out": {"en": "Zoom out", "ko": "축소"},
    "work.fit": {"en": "Fit", "ko": "맞춤"},
    "work.prompt": {"en": "Prompt", "ko": "프롬프트"},
    "work.response": {"en": "Response", "ko": "응답"},
    "work.a_better": {"en": "A is better", "ko": "A가 더 좋음"},
    "work.b_better": {"en": "B is better", "ko": "B가 더 좋음"},
    "work.tie": {"en": "Tie", "ko": "비슷함"},
    "work.both_bad": {"en": "Both bad", "ko": "둘 다 나쁨"},
    "work.reason": {"en": "Reason", "ko": "이유"},
    "work.move_up": {"en": "Move up", "ko": "위로"},
    "work.move_down": {"en": "Move down", "ko": "아래로"},
    "work.diff": {"en": "Changes against the original", "ko": "원문 대비 변경 사항"},
    "work.error": {"en": "Could not save", "ko": "저장하지 못했습니다"},
    "work.relation": {"en": "Link to…", "ko": "관계 연결…"},
    "work.feedback_correct": {"en": "Correct", "ko": "정답입니다"},
    "work.feedback_wrong": {"en": "Not correct", "ko": "정답이 아닙니다"},
    "work.feedback_expected": {"en": "Expected answer", "ko": "기대한 답"},
    "work.feedback_given": {"en": "Your answer", "ko": "내 답"},
    "work.feedback_continue": {"en": "Next task", "ko": "다음 작업"},
    "work.relabel": {"en": "Relabel", "ko": "라벨 바꾸기"},
    "work.spans_idle": {
        "en": "Select text, then press its label's key (1–9); or press the key first "
        "and every selection gets that label.",
        "ko": "텍스트를 선택한 뒤 라벨 숫자 키(1–9)를 누르세요. 숫자 키를 먼저 누르면 "
        "이후 선택에 그 라벨이 붙습니다.",
    },
    "work.spans_pending": {
        "en": "Press a label's key (1–9) or click a label for",
        "ko": "라벨 숫자 키(1–9)를 누르거나 라벨을 클릭하세요:",
    },
    "work.spans_relabelling": {
        "en": "New label (1–9, Esc cancels) for",
        "ko": "새 라벨(1–9, Esc 취소):",
    },
    "work.spans_active": {
        "en": "Selections are labelled at once (Esc: label each yourself):",
        "ko": "선택하면 바로 라벨이 붙습니다 (Esc: 하나씩 라벨 붙이기):",
    },
    "work.regions_active": {"en": "Label of the regions you draw:", "ko": "그릴 영역의 라벨:"},
    "work.regions_keys": {
        "en": "1–9 picks another; R, then a label, relabels the selected region",
        "ko": "1–9: 다른 라벨 고르기 · R 다음 라벨: 선택한 영역의 라벨 바꾸기",
    },
    "work.relabel_skeleton": {
        "en": "Label kept: its keypoints are not all in the skeleton of",
        "ko": "라벨을 바꾸지 않았습니다. 찍은 키포인트가 다음 라벨의 스켈레톤에 "
        "모두 있지는 않습니다:",
    },
    "help.title": {"en": "Keyboard shortcuts", "ko": "키보드 단축키"},
    "help.numbers": {
        "en": "pick a choice / label / rating (of the active control)",
        "ko": "선택지 / 라벨 / 점수 고르기 (활성 컨트롤)",
    },
    "help.enter": {"en": "submit and load the next task", "ko": "제출하고 다음 작업 불러오기"},
    "help.skip": {"en": "skip with a reason", "ko": "이유와 함께 건너뛰기"},
    "help.undo": {"en": "undo", "ko": "실행 취소"},
    "help.arrows": {
        "en": "previous / next region; ranking: move the selected response",
        "ko": "이전 / 다음 영역; 순위: 선택한 응답 이동",
    },
    "help.tab": {"en": "next control (Shift+Tab: previous)", "ko": "다음 컨트롤 (Shift+Tab: 이전)"},
    "help.delete": {"en": "delete the selected region", "ko": "선택한 영역 삭제"},
    "help.zoom": {
        "en": "zoom (wheel); pan: drag with Space held or the middle button",
        "ko": "확대/축소 (휠); 이동: Space를 누른 채 드래그 또는 가운데 버튼",
    },
    "help.help": {"en": "show or hide this help", "ko": "도움말 보이기/숨기기"},
    "help.spans": {
        "en": "spans: select text, then its label's key; or the key first, for every selection",
        "ko": "스팬: 텍스트 선택 후 라벨 숫자 키; 또는 숫자 키를 먼저 누르면 모든 선택에 적용",
    },
    "help.relabel": {
        "en": "relabel the selected span: R, then the new label's key",
        "ko": "선택한 스팬의 라벨 바꾸기: R 다음 새 라벨의 숫자 키",
    },
    "help.escape": {
        "en": "cancel a waiting selection or relabel; deselect; forget the picked label",
        "ko": "기다리는 선택이나 라벨 바꾸기 취소; 선택 해제; 고른 라벨 지우기",
    },
    "help.regions": {
        "en": "boxes, polygons, keypoints: pick the label of the next region you draw; "
        "a region already drawn keeps its label",
        "ko": "상자·다각형·키포인트: 다음에 그릴 영역의 라벨 고르기; "
        "이미 그린 영역의 라벨은 바뀌지 않습니다",
    },
    "help.relabel_regions": {
        "en": "relabel the selected box, polygon or skeleton: R (or the Relabel button), "
        "then the new label's key or a click on it",
        "ko": "선택한 상자·다각형·스켈레톤의 라벨 바꾸기: R(또는 라벨 바꾸기 버튼) 다음 "
        "새 라벨의 숫자 키 또는 클릭",
    },
    "help.escape_regions": {
        "en": "boxes, polygons, keypoints: cancel a relabel; stop the polygon or skeleton "
        "being drawn; deselect",
        "ko": "상자·다각형·키포인트: 라벨 바꾸기 취소; 그리던 다각형이나 스켈레톤 멈추기; "
        "선택 해제",
    },
    "review.title": {"en": "Review queue", "ko": "검토 대기열"},
    "review.none": {"en": "Nothing to review.", "ko": "검토할 항목이 없습니다."},
    "review.disagree": {"en": "Annotators disagree", "ko": "주석자 의견 불일치"},
    "review.accept": {"en": "Accept", "ko": "승인"},
    "review.reject": {"en": "Reject", "ko": "반려"},
    "review.fix": {"en": "Fix", "ko": "수정"},
    "review.save_fix": {"en": "Save the fixed label", "ko": "수정한 라벨 저장"},
    "review.fixed": {"en": "fixed", "ko": "수정됨"},
    "review.comment": {"en": "Comment to the annotator", "ko": "주석자에게 남길 의견"},
    "review.item": {"en": "Item", "ko": "항목"},
    "review.more": {"en": "More items", "ko": "항목 더 보기"},
    "action.escalations": {"en": "Escalations", "ko": "에스컬레이션"},
    "esc.title": {"en": "Escalation inbox", "ko": "에스컬레이션 수신함"},
    "esc.intro": {
        "en": "Items whose annotators could not agree. Compare their annotations, "
        "make the adjudicated label and resolve the item with a note.",
        "ko": "주석자들이 합의하지 못한 항목입니다. 주석을 비교하고 판정 라벨을 만든 뒤 "
        "메모와 함께 해결하세요.",
    },
    "esc.none": {
        "en": "No escalated items: nothing to adjudicate.",
        "ko": "에스컬레이션된 항목이 없습니다. 판정할 것이 없습니다.",
    },
    "esc.waiting": {"en": "Awaiting adjudication", "ko": "판정 대기"},
    "esc.items": {"en": "Escalated items", "ko": "에스컬레이션된 항목"},
    "esc.annotations": {"en": "Annotations", "ko": "주석"},
    "esc.start_from": {"en": "Start from this", "ko": "이 주석에서 시작"},
    "esc.adjudicated": {"en": "Adjudicated label", "ko": "판정 라벨"},
    "esc.note": {"en": "Note (why this label)", "ko": "메모 (판정 근거)"},
    "esc.resolve": {"en": "Resolve", "ko": "해결"},
    "esc.resolved": {"en": "Resolved", "ko": "해결됨"},
    "esc.taken": {
        "en": "This item was already resolved by someone else.",
        "ko": "다른 사람이 이미 이 항목을 해결했습니다.",
    },
    "esc.empty": {
        "en": "The adjudicated label is empty: give at least one control a value.",
        "ko": "판정 라벨이 비어 있습니다. 최소 한 컨트롤에 값을 넣으세요.",
    },
    "esc.previous": {"en": "Previous item", "ko": "이전 항목"},
    "esc.next": {"en": "Next item", "ko": "다음 항목"},
    "esc.keys": {
        "en": "Keys: 1–9 label the active control · Tab next control · Alt+1–9 start from "
        "annotation n · Ctrl+Enter resolve · [ ] previous / next item · Ctrl+Z undo",
        "ko": "키: 1–9 활성 컨트롤 라벨 · Tab 다음 컨트롤 · Alt+1–9 n번째 주석에서 시작 · "
        "Ctrl+Enter 해결 · [ ] 이전 / 다음 항목 · Ctrl+Z 실행 취소",
    },
    "manage.title": {"en": "Project console", "ko": "프로젝트 콘솔"},
    "manage.tokens": {"en": "Sessions and API tokens", "ko": "세션과 API 토큰"},
    "manage.show_tokens": {"en": "Show", "ko": "보기"},
    "manage.revoke": {"en": "Revoke", "ko": "취소"},
    "manage.tokens_none": {
        "en": "No live sessions or tokens.",
        "ko": "유효한 세션이나 토큰이 없습니다.",
    },
    "manage.token_kind": {"en": "Kind", "ko": "종류"},
    "manage.token_name": {"en": "Name", "ko": "이름"},
    "manage.token_used": {"en": "Last used", "ko": "마지막 사용"},
    "manage.token_ends": {"en": "Ends", "ko": "만료"},
    "manage.settings": {"en": "Settings", "ko": "설정"},
    "manage.save": {"en": "Save", "ko": "저장"},
    "manage.overlap": {"en": "Overlap (annotators per item)", "ko": "중복 (항목당 주석자 수)"},
    "manage.gold_ratio": {"en": "Gold ratio", "ko": "골드 비율"},
    "manage.lease": {"en": "Lease (seconds)", "ko": "임대 시간 (초)"},
    "manage.blind": {
        "en": "Blind (annotators never see others' labels)",
        "ko": "블라인드 (다른 주석자의 라벨 숨김)",
    },
    "manage.skills": {"en": "Required skills (comma separated)", "ko": "필요 기술 (쉼표로 구분)"},
    "manage.show_predictions": {"en": "Show model suggestions", "ko": "모델 제안 보이기"},
    "manage.gold_feedback": {
        "en": "Show feedback after gold items",
        "ko": "골드 항목 뒤에 피드백 보이기",
    },
    "manage.guidelines": {
        "en": "Guidelines (saving makes a new version)",
        "ko": "가이드라인 (저장하면 새 버전)",
    },
    "manage.import": {"en": "Import items", "ko": "항목 가져오기"},
    "manage.upload": {"en": "Upload", "ko": "업로드"},
    "manage.members": {"en": "Members", "ko": "구성원"},
    "manage.add_member": {"en": "Add or change member", "ko": "구성원 추가/변경"},
    "manage.export": {"en": "Export", "ko": "내보내기"},
    "manage.dashboard": {"en": "Dashboard", "ko": "대시보드"},
    "manage.items_by_status": {"en": "Items by status", "ko": "상태별 항목"},
    "manage.throughput": {"en": "Submitted per annotator", "ko": "주석자별 제출 수"},
    "manage.time": {"en": "Median seconds per task", "ko": "작업당 중앙값 (초)"},
    "manage.progress": {"en": "Annotations over time", "ko": "시간별 주석 수"},
    "manage.progress_pct": {"en": "Progress", "ko": "진행률"},
    "new.title": {"en": "New project", "ko": "새 프로젝트"},
    "new.name": {"en": "Project name", "ko": "프로젝트 이름"},
    "new.add_control": {"en": "Add control", "ko": "컨트롤 추가"},
    "new.control_name": {"en": "Control name", "ko": "컨트롤 이름"},
    "new.control_type": {"en": "Type", "ko": "유형"},
    "new.source": {"en": "Source field", "ko": "원본 필드"},
    "new.options": {
        "en": "Options or labels (comma separated)",
        "ko": "선택지 또는 라벨 (쉼표로 구분)",
    },
    "new.ontology": {"en": "Ontology (JSON)", "ko": "온톨로지 (JSON)"},
    "new.create": {"en": "Create project", "ko": "프로젝트 만들기"},
    "error.title": {"en": "Not available", "ko": "사용할 수 없음"},
}


def _merge_area_messages() -> None:
    from labelwell.server.web import messages

    for info in sorted(pkgutil.iter_modules(messages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{messages.__name__}.{info.name}")
        for key, entry in module.MESSAGES.items():
            if key in CATALOGUE:
                raise RuntimeError(f"message {key!r} is defined twice ({info.name})")
            CATALOGUE[key] = entry


_merge_area_messages()


def translator(lang: str) -> Callable[[str], str]:
    lang = lang if lang in LANGUAGES else "en"

    def t(key: str) -> str:
        entry = CATALOGUE.get(key)
        return entry.get(lang, entry["en"]) if entry else key

    return t


def catalogue_for(
    lang: str, prefixes: tuple[str, ...] = ("work.", "help.", "review.")
) -> dict[str, str]:
    t = translator(lang)
    return {k: t(k) for k in CATALOGUE if k.startswith(prefixes)}
