"""Pinyin of Chinese names, fast enough to index a million rows.

pypinyin's phrase-aware conversion of a whole name (``lazy_pinyin``) costs ~110 µs, most of an
import. Most characters have a single reading and are looked up one by one from a cache; only a
run holding a character with several readings is cut into dictionary words (cached), so 银行 is
"yinhang" and 重庆 is "chongqing". People's surnames follow their own rules (单 is "shan", 曾
"zeng"): a table answers for them.
"""

from __future__ import annotations

from functools import cache, lru_cache

from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
from pypinyin.contrib.tone_convert import to_normal

_MAX_PHRASE = 6

# Compound surnames first: they are matched before single characters.
COMPOUND_SURNAMES = {
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "上官": ("shang", "guan"),
    "诸葛": ("zhu", "ge"),
    "东方": ("dong", "fang"),
    "皇甫": ("huang", "fu"),
    "尉迟": ("yu", "chi"),
    "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"),
    "长孙": ("zhang", "sun"),
    "宇文": ("yu", "wen"),
    "司徒": ("si", "tu"),
    "夏侯": ("xia", "hou"),
    "令狐": ("ling", "hu"),
    "单于": ("chan", "yu"),
    "万俟": ("mo", "qi"),
    "澹台": ("tan", "tai"),
    "轩辕": ("xuan", "yuan"),
    "端木": ("duan", "mu"),
    "南宫": ("nan", "gong"),
    "西门": ("xi", "men"),
    "独孤": ("du", "gu"),
    "呼延": ("hu", "yan"),
    "赫连": ("he", "lian"),
    "闻人": ("wen", "ren"),
    "百里": ("bai", "li"),
    "钟离": ("zhong", "li"),
    "宗政": ("zong", "zheng"),
    "濮阳": ("pu", "yang"),
    "淳于": ("chun", "yu"),
    "申屠": ("shen", "tu"),
    "乐正": ("yue", "zheng"),
}

# Surnames whose reading differs from the character's everyday one (or is ambiguous).
SURNAMES = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "乐": "yue",
    "召": "shao",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "种": "chong",
    "秘": "bi",
    "折": "she",
    "繁": "po",
    "员": "yun",
    "能": "nai",
    "句": "gou",
    "黑": "he",
    "隗": "wei",
    "燕": "yan",
    "沈": "shen",
    "柏": "bai",
    "薄": "bo",
    "卜": "bu",
    "藏": "zang",
    "宿": "su",
    "朝": "chao",
    "都": "du",
    "重": "chong",
    "纪": "ji",
    "过": "guo",
    "车": "che",
    "尉": "wei",
    "长": "chang",
    "贾": "jia",
    "石": "shi",
    "任": "ren",
    "相": "xiang",
    "冼": "xian",
    "洗": "xian",
    "阚": "kan",
    "郇": "huan",
    "莘": "shen",
    "殷": "yin",
    "粘": "nian",
    "祭": "zhai",
    "盛": "sheng",
    "华": "hua",
    "曲": "qu",
    "蔚": "yu",
    "费": "fei",
    "应": "ying",
    "奇": "ji",
    "谌": "chen",
    "眭": "sui",
    "逄": "pang",
    "乜": "nie",
    "訾": "zi",
    "繆": "miao",
    "万": "wan",
    "么": "yao",
    "占": "zhan",
    "和": "he",
    "囤": "tun",
    "大": "da",
    "角": "jue",
    "叶": "ye",
    "行": "xing",
    "伯": "bo",
    "参": "can",
    "阿": "a",
}


@cache
def _readings(char: str) -> tuple[str, ...]:
    """The distinct toneless readings of one character (empty when it has none)."""
    raw = PINYIN_DICT.get(ord(char))
    if not raw:
        return ()
    readings: list[str] = []
    for reading in raw.split(","):
        plain = to_normal(reading, v_to_u=False)
        if plain not in readings:
            readings.append(plain)
    return tuple(readings)


@lru_cache(maxsize=262144)
def _phrase(text: str) -> tuple[str, ...] | None:
    readings = PHRASES_DICT.get(text)
    if not readings:
        return None
    return tuple(to_normal(options[0], v_to_u=False) for options in readings)


def syllables(run: str) -> list[str]:
    """The pinyin syllables of a run of Chinese characters, one per character ("" if unknown).

    Characters with one reading are read alone. A run with a character of several readings is
    cut into the longest words of the phrase dictionary, left to right (as pypinyin does), and
    each word read as a whole: 银行 yinhang, 重庆 chongqing, 长城 changcheng.
    """
    readings = [_readings(char) for char in run]
    if all(len(r) <= 1 for r in readings):
        return [r[0] if r else "" for r in readings]
    result: list[str] = []
    position = 0
    while position < len(run):
        for length in range(min(_MAX_PHRASE, len(run) - position), 1, -1):
            words = _phrase(run[position : position + length])
            if words is not None:
                result.extend(words)
                position += length
                break
        else:
            options = readings[position]
            result.append(options[0] if options else "")
            position += 1
    return result


def person_syllables(run: str) -> list[str]:
    """Like :func:`syllables`, but the run is a person's name: its surname is read as one."""
    compound = COMPOUND_SURNAMES.get(run[:2])
    if compound and len(run) > 2:
        return [*compound, *syllables(run[2:])]
    surname = SURNAMES.get(run[:1])
    if surname and len(run) > 1:
        return [surname, *syllables(run[1:])]
    return syllables(run)
