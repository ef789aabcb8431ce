"""全国地方公共団体コード: 6 digits, the 6th a check digit over the first five."""

from .text import nfkc


class InvalidCode(ValueError):
    pass


def check_digit(five: str) -> str:
    if len(five) != 5 or not is_ascii_digits(five):
        raise InvalidCode(f"5桁の数字ではありません: {five!r}")
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def is_ascii_digits(text: str) -> bool:
    """0–9 only: str.isdigit() also accepts ², ① and other scripts' digits, which int() refuses."""
    return text.isascii() and text.isdigit()


def is_valid_code(code: str) -> bool:
    """Six ASCII digits whose last one is the check digit of the first five (the prefecture range is normalize_code's)."""
    return len(code) == 6 and is_ascii_digits(code) and check_digit(code[:5]) == code[5]


def normalize_code(raw: str | int | None) -> str:
    """Return the 6-digit code for 5- or 6-digit input (full-width digits and others NFKC reads as digits (², ①),
    hyphens and a 4-digit Excel-truncated 5-digit code allowed).

    Raises InvalidCode with a Japanese message when the input is not a valid code.
    """
    if raw is None:
        raise InvalidCode("団体コードが空です")
    text = nfkc(str(raw)).strip().replace("-", "")
    if isinstance(raw, float) and text.endswith(".0"):
        text = text[:-2]
    if not text:
        raise InvalidCode("団体コードが空です")
    if not is_ascii_digits(text):
        raise InvalidCode(f"団体コードは数字で入力してください: {raw!r}")
    if len(text) == 4:
        # Excel drops the leading zero of the 5-digit codes of prefectures 01–09 (01100 → 1100).
        # A 5-digit input is always read as the 5-digit form: "11002" could also be a truncated
        # "011002", but the register cannot be consulted here, so callers report unknown codes.
        text = text.zfill(5)
    if len(text) not in (5, 6):
        raise InvalidCode(f"団体コードは5桁または6桁です: {raw!r}")
    if not 1 <= int(text[:2]) <= 47:
        raise InvalidCode(f"団体コードの先頭2桁（都道府県コード）は01〜47です: {text}")
    if len(text) == 5:
        return text + check_digit(text)
    if not is_valid_code(text):
        raise InvalidCode(f"団体コードのチェックディジットが正しくありません: {text}")
    return text


def typed_code(raw) -> str:
    """A 団体コード filter or field as people type it (5 digits, full-width digits, hyphens) as stored, "" when
    nothing is typed; InvalidCode 「団体コードが正しくありません: …」 for one that is not a code."""
    if raw is None or not str(raw).strip():
        return ""
    try:
        return normalize_code(raw)
    except InvalidCode as exc:
        raise InvalidCode(f"団体コードが正しくありません: {exc}") from None
