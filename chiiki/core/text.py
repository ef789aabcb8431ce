"""Japanese text normalisation: the one place that decides when two ways of writing something are equal.

- fold(): NFKC, lower case, hiragana → katakana, ヶ/ヵ → ケ/カ and the variant kanji of names (髙 → 高). Every
  comparison (names, readings, codes, search) starts here.
- fold_kana(): fold() plus small → large kana, for readings (the official kana omits small kana).
- normalize_words(): fold() cut into words at punctuation and spaces, with the trailing 長音 of long katakana
  words dropped (コンピューター = コンピュータ); the form the search index stores and queries
  (chiiki.core.search).
"""

import re
import unicodedata

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９　", "0123456789 ")
# Small kana folded to their full-size form (the official kana writes some readings without them).
_SMALL_KANA = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(ord("ぁ"), ord("ゖ") + 1)}
# Characters written two ways in the same names, which NFKC leaves apart. 「ヶ」 and 「ケ」 (「ヵ」 and 「カ」) alternate
# in official place names (青ヶ島村, 龍ケ崎市) and in what people type. The kanji are variants common in Japanese
# names (異体字: 髙島/高島, 宮﨑/宮崎, 渡邊/渡辺), folded to their usual form; kept short on purpose, only
# characters that stand for the same name. Each maps to one character of the same script, so words and their
# boundaries stay as they were (chiiki.core.migrations.0004 relies on it to refold the search indexes).
_NAME_FORMS = str.maketrans({
    "ヶ": "ケ", "ヵ": "カ",
    "髙": "高", "﨑": "崎", "嵜": "崎", "𠮷": "吉", "德": "徳", "邊": "辺", "邉": "辺", "濵": "浜", "濱": "浜",
    "櫻": "桜", "齋": "斎", "齊": "斉", "嶋": "島", "嶌": "島", "圡": "土", "澤": "沢", "廣": "広",
})

LONG_VOWEL = "ー"
# Word boundaries: anything that is not a word character, except the marks that belong inside Japanese words.
WORD_SEPARATORS = re.compile(r"[^\wー々〆ヶ]+|_+")


def normalize_digits(text: str) -> str:
    return text.translate(_FULLWIDTH_DIGITS)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def hira_to_kata(text: str) -> str:
    return text.translate(_HIRAGANA_TO_KATAKANA)


def fold(text: str) -> str:
    """NFKC, lower case, hiragana → katakana, name variants unified: the form used for every comparison."""
    return hira_to_kata(nfkc(text).lower()).translate(_NAME_FORMS).strip()


def fold_kana(text: str) -> str:
    """fold() plus small→large kana, for matching readings."""
    return fold(text).translate(_SMALL_KANA)


# C0 control characters other than tab, line feed and carriage return. NUL cannot be stored in PostgreSQL
# text at all, and the others are invisible in every screen and export, so they are refused wherever text
# comes in (imports, single-row edits) instead of being stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_NAMES = {0x00: "NUL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x1A: "SUB", 0x1B: "ESC"}


def control_character_problem(value: str) -> str | None:
    """A Japanese message when value holds a control character we refuse to store, else None.

    Tab, line feed and carriage return are allowed (multi-line notes); single-line fields validate their own form.
    """
    match = _CONTROL.search(value or "")
    if match is None:
        return None
    code = ord(match.group())
    name = _CONTROL_NAMES.get(code)
    label = f"U+{code:04X}" + (f" {name}" if name else "")
    return f"制御文字（{label}）が含まれています。取り除いてから保存してください"


# A JSON body may escape half of a surrogate pair ("\ud800"): json.loads gives a str no database can store.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def unstorable_character_problem(value: str) -> str | None:
    """A Japanese message when value holds a character no database stores (NUL, a lone surrogate), else None."""
    match = _UNSTORABLE.search(value or "")
    if match is None:
        return None
    if match.group() == "\x00":
        return control_character_problem("\x00")
    return (f"対になっていないサロゲート（U+{ord(match.group()):04X}）が含まれています。"
            "取り除いてから保存してください")


def without_unstorable_characters(value: str) -> str:
    return _UNSTORABLE.sub("", value)


def without_control_characters(value: str) -> str:
    """value without the control characters control_character_problem refuses."""
    return _CONTROL.sub("", value)


def is_hiragana(char: str) -> bool:
    return "ぁ" <= char <= "ゖ"


def is_katakana(char: str) -> bool:
    return "ァ" <= char <= "ヺ" or char == LONG_VOWEL


def drop_trailing_long_vowel(word: str) -> str:
    """コンピューター → コンピュータ (JIS Z 8301 style), only at the end of katakana runs of 4+ characters."""
    if LONG_VOWEL not in word:
        return word
    out = []
    run = 0
    for index, char in enumerate(word):
        run = run + 1 if is_katakana(char) else 0
        next_char = word[index + 1] if index + 1 < len(word) else ""
        if char == LONG_VOWEL and run >= 4 and not is_katakana(next_char):
            continue
        out.append(char)
    return "".join(out)


def normalize_words(text: str) -> str:
    """fold(), cut into words at punctuation and spaces, trailing 長音 dropped; words joined by single spaces."""
    return " ".join(drop_trailing_long_vowel(w) for w in WORD_SEPARATORS.split(fold(text)) if w)
