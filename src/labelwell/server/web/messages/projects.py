"""Messages of the project pages: the builder's templates gallery and preview,
ontology versions, archive and delete, and the guidelines."""

MESSAGES = {
    "new.templates": {"en": "Start from a template", "ko": "템플릿으로 시작"},
    "new.templates_hint": {
        "en": "Pick one to fill in the ontology, then change it as you like.",
        "ko": "하나를 고르면 온톨로지가 채워집니다. 그다음 원하는 대로 바꾸세요.",
    },
    "new.tpl_blank": {"en": "Blank", "ko": "빈 프로젝트"},
    "new.tpl_blank_about": {"en": "No controls yet", "ko": "컨트롤 없이 시작"},
    "new.tpl_classification": {"en": "Text classification", "ko": "텍스트 분류"},
    "new.tpl_classification_about": {
        "en": "One choice, several topics and a note",
        "ko": "하나 고르기, 여러 주제, 메모",
    },
    "new.tpl_ner": {"en": "Named entities", "ko": "개체명 인식"},
    "new.tpl_ner_about": {"en": "Spans in text and relations", "ko": "텍스트 구간과 관계"},
    "new.tpl_boxes": {"en": "Bounding boxes", "ko": "경계 상자"},
    "new.tpl_boxes_about": {"en": "Objects in an image", "ko": "이미지 속 객체"},
    "new.tpl_polygons": {"en": "Polygons", "ko": "다각형"},
    "new.tpl_polygons_about": {"en": "Areas in an image", "ko": "이미지 속 영역"},
    "new.tpl_keypoints": {"en": "Keypoints", "ko": "키포인트"},
    "new.tpl_keypoints_about": {"en": "Poses with a skeleton", "ko": "골격이 있는 자세"},
    "new.tpl_rlhf_pairwise": {"en": "RLHF pairwise", "ko": "RLHF 쌍 비교"},
    "new.tpl_rlhf_pairwise_about": {
        "en": "Which response is better, and ratings",
        "ko": "어느 응답이 나은지와 평점",
    },
    "new.tpl_ranking": {"en": "Ranking", "ko": "순위 매기기"},
    "new.tpl_ranking_about": {"en": "Order responses, ties allowed", "ko": "응답 순서, 동률 허용"},
    "new.tpl_correction": {"en": "Correction", "ko": "응답 고쳐 쓰기"},
    "new.tpl_correction_about": {
        "en": "Rewrite a response and rate it",
        "ko": "응답을 고쳐 쓰고 평가",
    },
    "new.tpl_segmentation": {"en": "Segmentation", "ko": "분할"},
    "new.tpl_segmentation_about": {
        "en": "Masks and panoptic segments",
        "ko": "마스크와 파놉틱 분할",
    },
    "new.tpl_audio": {"en": "Audio segments", "ko": "오디오 구간"},
    "new.tpl_audio_about": {"en": "Who speaks when", "ko": "누가 언제 말하는지"},
    "new.tpl_video": {"en": "Video tracks", "ko": "비디오 추적"},
    "new.tpl_video_about": {"en": "Objects followed over frames", "ko": "프레임에 걸친 객체 추적"},
    "new.tpl_lidar": {"en": "Lidar cuboids", "ko": "라이다 직육면체"},
    "new.tpl_lidar_about": {"en": "3D boxes in a point cloud", "ko": "점 구름 속 3D 상자"},
    "new.tpl_replace": {
        "en": "Replace the ontology you have written with this template?",
        "ko": "작성한 온톨로지를 이 템플릿으로 바꿀까요?",
    },
    "new.preview": {
        "en": "Preview: what annotators will see",
        "ko": "미리보기: 작업자에게 보이는 화면",
    },
    "new.preview_hint": {
        "en": "The workspace's own tools on a sample item. Try them; nothing is saved.",
        "ko": "샘플 항목에 작업 화면의 실제 도구를 보여 줍니다. 써 보세요. 저장되지 않습니다.",
    },
    "new.preview_empty": {
        "en": "Add a control or pick a template to see the workspace.",
        "ko": "컨트롤을 추가하거나 템플릿을 고르면 작업 화면이 보입니다.",
    },
    "new.preview_broken": {
        "en": "Fix the ontology's JSON to see the preview.",
        "ko": "미리보기를 보려면 온톨로지 JSON을 고치세요.",
    },
    "onto.title": {"en": "Ontology", "ko": "온톨로지"},
    "onto.nav": {"en": "Ontology", "ko": "온톨로지"},
    "onto.intro": {
        "en": "Change the labels and controls. Adding is free; a rename moves the stored "
        "annotations to the new name; a removal that annotations use needs a reason. "
        "Every version is kept.",
        "ko": "레이블과 컨트롤을 바꿉니다. 추가는 자유롭고, "
        "이름을 바꾸면 저장된 주석도 새 이름으로 옮겨집니다. "
        "주석이 쓰는 것을 지우려면 사유가 필요합니다. 모든 버전이 보관됩니다.",
    },
    "onto.renames": {"en": "Renames", "ko": "이름 바꾸기"},
    "onto.renames_hint": {
        "en": "Say what a name became, so its stored annotations move with it "
        "(otherwise the old name counts as removed).",
        "ko": "이름이 무엇으로 바뀌었는지 알려 주면 저장된 주석도 함께 옮겨집니다 "
        "(알려 주지 않으면 옛 이름은 지워진 것으로 봅니다).",
    },
    "onto.rn_control": {"en": "Control", "ko": "컨트롤"},
    "onto.rn_label": {"en": "Label (optional)", "ko": "레이블 (선택)"},
    "onto.rn_to": {"en": "New name", "ko": "새 이름"},
    "onto.rn_add": {"en": "Add rename", "ko": "이름 바꾸기 추가"},
    "onto.rn_remove": {"en": "Remove this rename", "ko": "이 이름 바꾸기 지우기"},
    "onto.rn_line": {"en": "control {control} → {to}", "ko": "컨트롤 {control} → {to}"},
    "onto.rn_line_label": {
        "en": "label {label} of {control} → {to}",
        "ko": "{control}의 레이블 {label} → {to}",
    },
    "onto.check": {"en": "Check the changes", "ko": "변경 사항 확인"},
    "onto.impact": {"en": "What this change does", "ko": "이 변경이 하는 일"},
    "onto.change": {"en": "Change", "ko": "변경"},
    "onto.annotations": {"en": "Stored annotations", "ko": "저장된 주석"},
    "onto.no_changes": {"en": "Nothing changed.", "ko": "바뀐 것이 없습니다."},
    "onto.needs_force": {
        "en": "Removing this would leave {n} stored annotation(s) with values the ontology "
        "no longer has. Rename instead, or force it with a reason: they are kept as made.",
        "ko": "이것을 지우면 저장된 주석 {n}개에 온톨로지에 없는 값이 남습니다. 이름 바꾸기를 "
        "쓰거나, 사유를 적고 강제로 지우세요. 주석은 만든 그대로 보관됩니다.",
    },
    "onto.force": {"en": "Remove anyway", "ko": "그래도 지우기"},
    "onto.reason": {"en": "Reason", "ko": "사유"},
    "onto.save": {"en": "Save as a new version", "ko": "새 버전으로 저장"},
    "onto.saved": {"en": "Saved as version {version}.", "ko": "버전 {version}으로 저장했습니다."},
    "onto.versions": {"en": "Versions", "ko": "버전"},
    "onto.version": {"en": "Version", "ko": "버전"},
    "onto.when": {"en": "When", "ko": "시각"},
    "onto.changes": {"en": "Changes", "ko": "변경"},
    "onto.first": {"en": "As the project was created", "ko": "프로젝트를 만들 때"},
    "onto.of_control": {"en": "control {control}", "ko": "컨트롤 {control}"},
    "onto.of_label": {"en": "label {label} of {control}", "ko": "{control}의 레이블 {label}"},
    "onto.kind_add_control": {"en": "Added {what}", "ko": "{what} 추가"},
    "onto.kind_add_label": {"en": "Added {what}", "ko": "{what} 추가"},
    "onto.kind_remove_control": {"en": "Removed {what}", "ko": "{what} 삭제"},
    "onto.kind_remove_label": {"en": "Removed {what}", "ko": "{what} 삭제"},
    "onto.kind_rename_control": {"en": "Renamed {what} to {to}", "ko": "{what} 이름을 {to}(으)로"},
    "onto.kind_rename_label": {"en": "Renamed {what} to {to}", "ko": "{what} 이름을 {to}(으)로"},
    "onto.kind_retype_control": {
        "en": "Changed the type of {what} to {to}",
        "ko": "{what} 유형을 {to}(으)로 변경",
    },
    "onto.n_annotations": {"en": "{n} stored annotation(s)", "ko": "저장된 주석 {n}개"},
    "onto.err_field": {"en": "{field}: {problem}", "ko": "{field}: {problem}"},
    "life.title": {"en": "Archive or delete", "ko": "보관 또는 삭제"},
    "life.intro": {
        "en": "An archived project leaves the project list and the annotators' queue; "
        "nothing in it is lost and it can be restored. Deleting removes it and everything "
        "in it for good.",
        "ko": "보관한 프로젝트는 프로젝트 목록과 작업 대기열에서 빠지며, 아무것도 잃지 않고 "
        "되살릴 수 있습니다. 삭제하면 프로젝트와 그 안의 모든 것이 영구히 사라집니다.",
    },
    "life.archive": {"en": "Archive…", "ko": "보관…"},
    "life.restore": {"en": "Restore", "ko": "되살리기"},
    "life.delete": {"en": "Delete…", "ko": "삭제…"},
    "life.archived_on": {"en": "Archived on {when}.", "ko": "{when}에 보관됨."},
    "life.export_first": {
        "en": "Export the labels first? Download them in any format:",
        "ko": "먼저 레이블을 내보낼까요? 원하는 형식으로 내려받으세요:",
    },
    "life.confirm_archive": {"en": "Archive the project", "ko": "프로젝트 보관"},
    "life.confirm_delete": {"en": "Delete for good", "ko": "영구 삭제"},
    "life.type_name": {
        "en": "Type the project's name to delete it",
        "ko": "삭제하려면 프로젝트 이름을 입력하세요",
    },
    "life.cancel": {"en": "Cancel", "ko": "취소"},
    "projects.show_archived": {"en": "Show archived projects", "ko": "보관한 프로젝트 보기"},
    "projects.show_active": {"en": "Show active projects", "ko": "진행 중인 프로젝트 보기"},
    "projects.archived_title": {"en": "Archived projects", "ko": "보관한 프로젝트"},
    "guide.title": {"en": "Guidelines", "ko": "가이드라인"},
    "guide.open": {"en": "Open the guidelines", "ko": "가이드라인 열기"},
    "guide.version": {"en": "Version", "ko": "버전"},
    "guide.none": {"en": "No guidelines yet.", "ko": "아직 가이드라인이 없습니다."},
    "guide.changes": {"en": "What changed", "ko": "바뀐 내용"},
    "guide.from": {"en": "From", "ko": "이전"},
    "guide.to": {"en": "To", "ko": "이후"},
    "guide.compare": {"en": "Compare", "ko": "비교"},
    "guide.summary": {
        "en": "v{from} → v{to}: {added} line(s) added, {removed} removed.",
        "ko": "v{from} → v{to}: {added}줄 추가, {removed}줄 삭제.",
    },
    "guide.one_version": {
        "en": "There is one version only.",
        "ko": "버전이 하나뿐입니다.",
    },
    "guide.changed": {
        "en": "The guidelines changed (version {version}). See what changed.",
        "ko": "가이드라인이 바뀌었습니다 (버전 {version}). 바뀐 내용을 보세요.",
    },
    "guide.seen": {"en": "Got it", "ko": "확인"},
    "onto.preview_hint_item": {
        "en": "The workspace's own tools on the project's first item. Try them; nothing is saved.",
        "ko": "프로젝트의 첫 항목에 작업 화면의 실제 도구를 보여 줍니다. "
        "써 보세요. 저장되지 않습니다.",
    },
}
