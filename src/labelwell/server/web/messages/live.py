"""Messages of live updates: who is working now, and the data manager's banner
for labels that arrived since its rows were loaded."""

MESSAGES = {
    "live.present": {"en": "Working now", "ko": "지금 작업 중"},
    "live.nobody": {"en": "nobody", "ko": "없음"},
    "live.count": {"en": "{n} working now", "ko": "{n}명 작업 중"},
    "live.on_page": {"en": "{name} · {page}", "ko": "{name} · {page}"},
    "live.page.workspace": {"en": "labeling", "ko": "레이블링"},
    "live.page.review": {"en": "reviewing", "ko": "검토"},
    "live.page.dashboard": {"en": "dashboard", "ko": "대시보드"},
    "live.page.data": {"en": "data manager", "ko": "데이터 관리"},
    "live.new_labels": {"en": "{n} new labels", "ko": "새 레이블 {n}개"},
    "live.changed": {"en": "items changed", "ko": "항목이 바뀌었습니다"},
    "live.refresh": {"en": "Refresh", "ko": "새로 고침"},
    "live.offline": {"en": "Live updates paused", "ko": "실시간 업데이트 중지됨"},
}
