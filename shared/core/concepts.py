"""Korean synonyms, concepts and cue words for reference search and prompt writing (data only).

Every word here is a normalised lemma as shared.references.korean produces it: a noun as written, a verb
or adjective as its stem without 다 (내리, 맑, 흐리). Search stores and queries lemmas through these
tables, so both sides meet on the same canonical word:

- SYNONYMS: canonical lemma → other ways people write the same thing (남산타워 = N서울타워).
- IMPLIES: a lemma that brings others along, weaker than the word itself (설경 ≈ 눈 + 겨울; 경복궁 is a 궁궐).
  Only from the specific to the general: references are stored with what their words imply, so 분식 →
  김밥 would make every tteokbokki picture a gimbap one.
- CUES: time of day, season and weather, each value with the lemmas that say it. A request's cues
  win over a reference caption's (shared.providers.cues).
- STOPWORDS: words that say nothing about what a reference shows (every reference is a 배경 그림).
"""

from __future__ import annotations

SYNONYMS: dict[str, tuple[str, ...]] = {
    # places
    "남산타워": ("N서울타워", "n서울타워", "서울타워", "엔서울타워", "남산서울타워", "서울N타워"),
    "궁궐": ("궁", "궁전", "왕궁", "고궁"),
    "타워": ("전망탑", "전파탑", "송신탑"),
    "경복궁": ("경복궁궐",),
    "근정전": ("근정전각",),
    "한강": ("한강변", "한강공원"),
    "다리": ("대교", "교량"),
    "해운대": ("해운대해수욕장", "해운대해변"),
    "해변": ("해수욕장", "바닷가", "백사장", "모래사장", "비치"),
    "바다": ("바닷물", "해안"),
    "화성": ("수원화성", "화성행궁"),
    "성곽": ("성벽", "성곽길"),
    "성문": ("관문", "장안문", "팔달문"),
    "설악산": ("설악",),
    "산": ("산맥", "산자락", "산봉우리", "봉우리"),
    "불국사": ("불국사절",),
    "절": ("사찰", "절간", "사원"),
    "석탑": ("탑", "돌탑", "다보탑", "석가탑"),
    "돌하르방": ("하르방", "돌할아버지"),
    "제주": ("제주도", "제주섬"),
    "도시": ("시내", "도심", "시가지"),
    "빌딩": ("건물", "고층빌딩", "마천루"),
    # food
    "비빔밥": ("돌솥비빔밥", "비빔밤", "비밤밥"),
    "떡볶이": ("떡뽁이", "떡복이", "떡뽀끼", "떡볶기"),
    "어묵": ("오뎅", "어묵꼬치"),
    "한상차림": ("한정식", "밥상", "상차림", "한상"),
    "반찬": ("밑반찬", "찬"),
    "김치": ("배추김치", "김장"),
    "옹기": ("장독", "항아리", "독"),
    "장독대": ("장독간",),
    "포장마차": ("포차", "노점", "노포"),
    "냉면": ("물냉면", "평양냉면", "냉면집"),
    "삼겹살": ("돼지고기구이", "고기구이", "삼겹"),
    "불판": ("석쇠", "철판"),
    "김밥": ("꼬마김밥", "김밥말이"),
    "도시락": ("도시락통",),
    # culture
    "한옥": ("기와집", "전통가옥", "고택", "한옥집"),
    "한복": ("전통의상", "한복차림"),
    "연등": ("연등회", "연등축제", "등축제", "연꽃등", "연꽃등불"),
    "청사초롱": ("초롱", "청사등롱"),
    "부채": ("합죽선", "태극선"),
    "하회탈": ("탈", "가면"),
    "탈춤": ("탈놀이", "봉산탈춤"),
    "연날리기": ("연날리다", "방패연", "가오리연"),
    "가야금": ("가야고", "국악기", "현악기"),
    # cues
    "밤": ("야간", "밤중", "밤하늘"),
    "낮": ("대낮", "한낮", "주간"),
    "노을": ("저녁노을", "석양", "일몰", "해넘이", "해질녘"),
    "새벽": ("새벽녘", "동틀녘", "여명", "일출", "해돋이"),
    "겨울": ("한겨울", "동절기"),
    "여름": ("한여름", "하절기"),
    "봄": ("봄날", "봄철"),
    "가을": ("가을날", "가을철"),
    "눈": ("함박눈", "눈발", "눈송이", "폭설", "첫눈", "눈보라"),
    "비": ("빗줄기", "빗방울", "소나기", "폭우", "장맛비", "빗속", "빗길"),
    "안개": ("물안개", "새벽안개", "운무"),
    "맑": ("화창", "쾌청", "청명"),
}

IMPLIES: dict[str, tuple[str, ...]] = {
    "설경": ("눈", "겨울"),
    "눈사람": ("눈", "겨울"),
    "함박눈": ("눈", "겨울"),
    "폭설": ("눈", "겨울"),
    "눈": ("겨울",),
    "야경": ("밤", "불빛"),
    "달밤": ("밤", "달"),
    "별밤": ("밤", "별"),
    "소나기": ("비", "여름"),
    "장마": ("비", "여름"),
    "벚꽃": ("봄",),
    "단풍": ("가을",),
    "낙엽": ("가을",),
    "경복궁": ("궁궐", "서울"),
    "근정전": ("경복궁", "궁궐"),
    "남산타워": ("남산", "타워", "서울"),
    "남산": ("서울",),
    "해운대": ("부산", "바다", "해변"),
    "화성": ("수원", "성곽"),
    "불국사": ("경주", "절"),
    "돌하르방": ("제주",),
    "한강": ("서울", "강"),
    "물냉면": ("냉면",),
    "돌솥비빔밥": ("비빔밥", "돌솥"),
    "떡볶이": ("분식",),
    "김밥": ("분식",),
    "어묵": ("분식",),
    "비빔밥": ("한식",),
    "한상차림": ("한식", "반찬"),
    "한옥마을": ("한옥", "마을"),
    "기와지붕": ("기와", "지붕"),
    "탈춤": ("하회탈",),
    "연등회": ("연등", "축제"),
    "연등": ("연꽃", "등불"),  # a lotus lantern
    "산꼭대기": ("산",),
}

# Lemmas that say a time of day, a season or the weather. "눈" is snow here (not the eye) and "밤"
# night (not the chestnut): in a scene description that is what they nearly always mean.
CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "time": {
        "dawn": ("새벽", "아침", "이른아침", "오전", "동트", "해뜨"),
        "day": ("낮", "정오", "오후", "햇살", "햇빛", "대낮"),
        "evening": ("노을", "저녁", "황혼", "해지", "석양", "땅거미"),
        "night": ("밤", "야경", "심야", "자정", "한밤중", "달밤", "달빛", "별빛", "밤하늘", "은하수", "별밤"),
    },
    "season": {
        "spring": ("봄", "벚꽃", "개나리", "진달래", "매화", "새싹", "초봄", "늦봄"),
        "summer": ("여름", "장마", "매미", "해수욕", "초여름", "무더위", "덥", "무덥"),
        "autumn": ("가을", "단풍", "낙엽", "은행잎", "억새", "초가을", "늦가을"),
        "winter": ("겨울", "설경", "눈사람", "고드름", "초겨울", "한겨울", "함박눈", "폭설", "춥"),
    },
    "weather": {
        "clear": ("맑", "쨍쨍", "쾌청", "화창"),
        "cloudy": ("흐리", "구름", "먹구름", "잿빛"),
        "rain": ("비", "장마", "우산", "빗물", "물웅덩이", "소나기", "폭우"),
        "snow": ("눈", "설경", "눈사람", "함박눈", "폭설", "눈송이"),
        "fog": ("안개", "운무", "물안개", "연무"),
    },
}

CUE_NAMES_KO: dict[str, str] = {"time": "시간대", "season": "계절", "weather": "날씨"}

# Nothing a reference could be told apart by: the fact of being a background drawing, the art stage
# (search filters by stage), filler words of spoken requests, generic verbs of asking and drawing.
STOPWORDS: frozenset[str] = frozenset({
    "배경", "그림", "장면", "이미지", "사진", "느낌", "분위기", "스타일", "웹툰", "만화", "컷", "씬",
    "콘티", "러프", "구도", "스케치", "선화", "채색", "기본", "평면", "명암", "그림자", "완성", "조명", "빛",
    "그리", "주", "하", "되", "있", "없", "보이", "보", "싶", "좋", "같", "부탁", "요청", "생각", "말",
    "음", "어", "그", "이", "저", "것", "거", "수", "좀", "막", "약간", "정말", "진짜", "그냥", "뭔가",
    "그러니까", "있잖아", "이제", "일단", "혹시", "제발", "그런", "이런", "저런", "하나", "곳", "데",
    "날", "때", "모습", "풍경", "광경", "오", "내리", "지", "끼", "피", "들", "담기", "놓이",
    "위", "아래", "앞", "뒤", "옆", "안", "속", "밖", "사이", "근처", "주변", "쪽",
})

# Nouns that a compound may be split into (기와지붕 → 기와 + 지붕) or joined from (남산 타워 → 남산타워):
# the words above plus the everyday nouns of the sample scenes.
COMPOUND_PARTS: frozenset[str] = frozenset({
    "기와", "지붕", "기둥", "처마", "한옥", "마을", "골목", "돌담", "마당", "창살", "대문",
    "남산", "타워", "서울", "한강", "다리", "강변", "해변", "바다", "파라솔", "빌딩", "도시", "불빛",
    "성곽", "성문", "누각", "능선", "계곡", "석탑", "대웅전", "유채꽃", "오름",
    "돌솥", "비빔밥", "나물", "떡볶이", "어묵", "반찬", "김치", "옹기", "항아리", "장독대", "냉면", "육수",
    "삼겹살", "불판", "김밥", "도시락", "포장마차", "천막", "전구", "국수", "꼬치",
    "한복", "저고리", "치마", "색동", "연등", "초롱", "부채", "탈", "무대", "가야금", "방패연", "들판",
    "벚꽃", "단풍", "눈", "밤", "겨울", "여름", "봄", "가을", "노을", "안개", "새벽", "야경", "길",
})


def _synonym_index() -> dict[str, str]:
    index = {}
    for canonical, others in SYNONYMS.items():
        for word in others:
            index[word] = canonical
    return index


CANONICAL: dict[str, str] = _synonym_index()


def _cue_index() -> dict[str, frozenset[tuple[str, str]]]:
    index: dict[str, set[tuple[str, str]]] = {}
    for dimension, values in CUES.items():
        for value, lemmas in values.items():
            for lemma in lemmas:
                index.setdefault(lemma, set()).add((dimension, value))
    return {lemma: frozenset(cues) for lemma, cues in index.items()}


# lemma → every (dimension, value) it says: 설경 is both winter and snow.
CUE_INDEX: dict[str, frozenset[tuple[str, str]]] = _cue_index()


def vocabulary() -> frozenset[str]:
    """Every canonical word the tables know: what a compound may be split into or joined to."""
    words = set(COMPOUND_PARTS) | set(SYNONYMS) | set(CANONICAL) | set(IMPLIES)
    for values in CUES.values():
        for lemmas in values.values():
            words.update(lemmas)
    return frozenset(words)
