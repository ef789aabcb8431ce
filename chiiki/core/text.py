"""Japanese text normalisation used for matching and parsing."""

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
