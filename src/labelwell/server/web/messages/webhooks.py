"""Messages of the console's webhooks section: hooks, their secret shown once,
tests, the delivery log and redelivery."""

MESSAGES = {
    "hook.title": {"en": "Webhooks", "ko": "웹훅"},
    "hook.intro": {
        "en": "Other systems hear of this project's events: each request is signed "
        "(Labelwell-Signature) and retried with backoff until it is answered 2xx.",
        "ko": "다른 시스템이 이 프로젝트의 이벤트를 받습니다. 각 요청은 서명되며"
        "(Labelwell-Signature) 2xx 응답을 받을 때까지 간격을 늘려 가며 다시 보냅니다.",
    },
    "hook.url": {"en": "Receiver URL", "ko": "수신 URL"},
    "hook.events": {"en": "Events", "ko": "이벤트"},
    "hook.add": {"en": "Add webhook", "ko": "웹훅 추가"},
    "hook.none": {"en": "No webhook yet.", "ko": "아직 웹훅이 없습니다."},
    "hook.secret": {
        "en": "Signing secret, shown this once: keep it with the receiver.",
        "ko": "서명 비밀값은 지금 한 번만 보입니다. 수신 측에 보관하세요.",
    },
    "hook.test": {"en": "Send test", "ko": "테스트 보내기"},
    "hook.remove": {"en": "Remove", "ko": "삭제"},
    "hook.pause": {"en": "Pause", "ko": "일시 중지"},
    "hook.resume": {"en": "Resume", "ko": "다시 시작"},
    "hook.paused": {"en": "paused", "ko": "일시 중지됨"},
    "hook.deliveries": {"en": "Deliveries", "ko": "전송 기록"},
    "hook.redeliver": {"en": "Redeliver", "ko": "다시 보내기"},
    "hook.event": {"en": "Event", "ko": "이벤트"},
    "hook.state": {"en": "State", "ko": "상태"},
    "hook.attempts": {"en": "Attempts", "ko": "시도"},
    "hook.code": {"en": "Response", "ko": "응답"},
    "hook.latency": {"en": "Latency", "ko": "지연"},
    "hook.next": {"en": "Next try", "ko": "다음 시도"},
    "hook.when": {"en": "Created", "ko": "생성"},
    "hook.no_deliveries": {"en": "Nothing sent yet.", "ko": "아직 보낸 것이 없습니다."},
    "hook.confirm_remove": {
        "en": "Remove this webhook and its delivery log?",
        "ko": "이 웹훅과 전송 기록을 삭제할까요?",
    },
}
