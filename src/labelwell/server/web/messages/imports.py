"""Messages of the console's import section: the format, and label files
attached to the project's items as a model's predictions."""

MESSAGES = {
    "imp.format": {"en": "Format", "ko": "형식"},
    "imp.format_auto": {"en": "from the file name", "ko": "파일 이름으로"},
    "imp.model": {"en": "As predictions of model", "ko": "모델의 예측으로"},
    "imp.model_hint": {"en": "e.g. pyannote@3.1", "ko": "예: pyannote@3.1"},
    "imp.help": {
        "en": "With a model, the file's labels go onto the items it names (by external id, "
        "else id) as that model's predictions, instead of new items: RTTM, WebVTT, SRT and "
        "KITTI labels, or a tracker's MOTChallenge output.",
        "ko": "모델을 적으면 새 항목을 만들지 않고, 파일의 레이블을 파일이 가리키는 항목(외부 ID, "
        "없으면 ID)에 그 모델의 예측으로 붙입니다. RTTM, WebVTT, SRT, KITTI 레이블이나 "
        "추적기의 MOTChallenge 출력에 씁니다.",
    },
    "imp.imported": {
        "en": "{n} items imported from {file}",
        "ko": "{file}에서 항목 {n}개를 가져왔습니다",
    },
    "imp.attached": {
        "en": "predictions of {model} from {file}: {n}",
        "ko": "{file}에서 {model}의 예측 {n}개를 붙였습니다",
    },
}
