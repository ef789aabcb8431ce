"""Japanese text normalisation used for matching and parsing."""

import re
import unicodedata

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９　", "0123456789 ")
# Small kana folded to their full-size form (the official kana writes some readings without them).
_SMALL_KANA = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")


def normalize_digits(text: str) -> str:
    return text.translate(_FULLWIDTH_DIGITS)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def hira_to_kata(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def fold(text: str) -> str:
    """NFKC, lower case, hiragana → katakana: the form used for every comparison."""
    return hira_to_kata(nfkc(text).lower()).strip()


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
