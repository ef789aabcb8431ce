"""全国地方公共団体コード: 6 digits, the 6th a check digit over the first five."""

from .text import normalize_digits


class InvalidCode(ValueError):
    pass


def check_digit(five: str) -> str:
    if len(five) != 5 or not five.isdigit():
        raise InvalidCode(f"5桁の数字ではありません: {five!r}")
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def is_valid_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit() and check_digit(code[:5]) == code[5]


def normalize_code(raw: str | int | None) -> str:
    """Return the 6-digit code for 5- or 6-digit input (full-width digits allowed).

    Raises InvalidCode with a Japanese message when the input is not a valid code.
    """
    if raw is None:
        raise InvalidCode("団体コードが空です")
    text = normalize_digits(str(raw)).strip().replace("-", "")
    if isinstance(raw, float) and text.endswith(".0"):
        text = text[:-2]
    if not text:
        raise InvalidCode("団体コードが空です")
    if not text.isdigit():
        raise InvalidCode(f"団体コードは数字で入力してください: {raw!r}")
    if len(text) == 4 or len(text) == 5 and text[0] != "0" and int(text[:2]) > 47:
        # Excel drops the leading zero of Hokkaido–Fukushima codes (1002 → 01002).
        text = text.zfill(5)
    if len(text) == 5:
        return text + check_digit(text)
    if len(text) == 6:
        if not is_valid_code(text):
            raise InvalidCode(f"団体コードのチェックディジットが正しくありません: {text}")
        return text
    raise InvalidCode(f"団体コードは5桁または6桁です: {raw!r}")
