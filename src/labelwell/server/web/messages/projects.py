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
}
