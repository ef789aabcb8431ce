"""法人番号: 13 digits, the first a check digit over the 12-digit base number (国税庁の定める計算方法).

check = 9 − (Σ Pn × Qn mod 9), Pn the n-th digit of the base counted from its last digit, Qn 1 for odd n, 2 for even.
"""

import unicodedata


def check_digit(base: str) -> int:
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return 9 - total % 9


def clean(raw: str) -> str:
    """The 13 digits (full-width and hyphens accepted); "" for empty; ValueError with a Japanese message."""
    value = unicodedata.normalize("NFKC", raw or "").replace("-", "").replace(" ", "")
    if not value:
        return ""
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        raise ValueError("法人番号は13桁の数字で入力してください")
    if int(value[0]) != check_digit(value[1:]):
        raise ValueError("法人番号の検査用数字（先頭の1桁）が合いません。番号を確かめてください")
    return value
