"""Messages of the project's quality page: agreement of categorical and media controls."""

MESSAGES = {
    "qual.title": {"en": "Quality", "ko": "품질"},
    "qual.nav": {"en": "Quality", "ko": "품질"},
    "qual.summary": {
        "en": "Items answered: {items} · current answers: {annotations}",
        "ko": "답변된 항목: {items}개 · 현재 답변: {annotations}개",
    },
    "qual.measure": {"en": "Measure", "ko": "측정 방법"},
    "qual.categorical": {"en": "Classification agreement", "ko": "분류 일치도"},
    "qual.control": {"en": "Control", "ko": "컨트롤"},
    "qual.alpha": {"en": "Krippendorff's alpha", "ko": "크리펜도르프 알파"},
    "qual.kappa": {"en": "Fleiss' kappa", "ko": "플라이스 카파"},
    "qual.band": {"en": "Reading", "ko": "해석"},
    "qual.items": {"en": "Items", "ko": "항목"},
    "qual.annotators": {"en": "Annotators", "ko": "작업자"},
    "qual.all": {"en": "All controls", "ko": "전체 컨트롤"},
    "qual.no_categorical": {
        "en": "This project has no classification controls.",
        "ko": "이 프로젝트에는 분류 컨트롤이 없습니다.",
    },
    "qual.media": {"en": "Media agreement", "ko": "미디어 일치도"},
    "qual.media_intro": {
        "en": "Each pair of annotators who answered the same item is scored; an item's "
        "score is the mean of its pairs, a control's the mean of its items.",
        "ko": "같은 항목에 답한 작업자 쌍마다 점수를 매깁니다. 항목 점수는 쌍 점수의 평균, "
        "컨트롤 점수는 항목 점수의 평균입니다.",
    },
    "qual.no_media": {
        "en": "No media control has an item with two answers yet.",
        "ko": "아직 두 개 이상의 답변이 있는 미디어 컨트롤 항목이 없습니다.",
    },
    "qual.score": {"en": "Agreement", "ko": "일치도"},
    "qual.pairs": {"en": "Pairs", "ko": "쌍"},
    "qual.per_item": {"en": "Per item", "ko": "항목별"},
    "qual.per_pair": {"en": "Per annotator pair", "ko": "작업자 쌍별"},
    "qual.item": {"en": "Item", "ko": "항목"},
    "qual.pair": {"en": "Annotators", "ko": "작업자"},
    "qual.undefined": {"en": "undefined", "ko": "정의되지 않음"},
    "qual.more": {
        "en": "Showing the first {n}; the API lists them all.",
        "ko": "처음 {n}개만 표시합니다. API에서 전체를 볼 수 있습니다.",
    },
    "qual.measure.mask_iou": {
        "en": "Mask IoU (instances matched at IoU ≥ 0.5)",
        "ko": "마스크 IoU (IoU ≥ 0.5로 짝지은 인스턴스)",
    },
    "qual.measure.idf1": {
        "en": "Track IDF1 (boxes matched at IoU ≥ 0.5)",
        "ko": "트랙 IDF1 (IoU ≥ 0.5로 짝지은 박스)",
    },
    "qual.measure.segment_f1": {
        "en": "Region F1 (temporal IoU ≥ 0.5, same label)",
        "ko": "구간 F1 (시간 IoU ≥ 0.5, 같은 라벨)",
    },
    "qual.measure.diarization": {
        "en": "Speaker agreement (1 − DER, both ways)",
        "ko": "화자 일치도 (1 − DER, 양방향)",
    },
    "qual.measure.cuboid_f1": {
        "en": "Cuboid F1 (3D IoU ≥ 0.5, same label)",
        "ko": "직육면체 F1 (3D IoU ≥ 0.5, 같은 라벨)",
    },
    "qual.type.mask": {"en": "mask", "ko": "마스크"},
    "qual.type.panoptic": {"en": "panoptic mask", "ko": "파놉틱 마스크"},
    "qual.type.video_track": {"en": "video track", "ko": "비디오 트랙"},
    "qual.type.time_region": {"en": "audio regions", "ko": "오디오 구간"},
    "qual.type.cuboid": {"en": "cuboid", "ko": "직육면체"},
}
