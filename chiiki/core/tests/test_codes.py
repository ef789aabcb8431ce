import pytest

from chiiki.core.codes import InvalidCode, check_digit, is_valid_code, normalize_code

# Verified against the 総務省 list (see ../shared/data/README.md).
KNOWN = ["011002", "131016", "271004", "010006", "130001", "134023", "325252", "472158"]


@pytest.mark.parametrize("code", KNOWN)
def test_known_codes_are_valid(code):
    assert is_valid_code(code)
    assert check_digit(code[:5]) == code[5]
    assert normalize_code(code) == code


@pytest.mark.parametrize("code", KNOWN)
def test_five_digit_form_gains_its_check_digit(code):
    assert normalize_code(code[:5]) == code


def test_check_digit_formula():
    # 13101: 6·1 + 5·3 + 4·1 + 3·0 + 2·1 = 27; 27 mod 11 = 5; (11 − 5) mod 10 = 6
    assert check_digit("13101") == "6"
    # remainders 0 and 1 wrap to one digit: (11 − 0) mod 10 = 1 and (11 − 1) mod 10 = 0
    assert check_digit("00000") == "1"
    assert check_digit("20000") == "0"  # 6·2 = 12 ≡ 1 (mod 11)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１３１０１６", "131016"),
        ("１３１０１", "131016"),
        (" 131016 ", "131016"),
        ("13101-6", "131016"),
        (131016, "131016"),
        (13101, "131016"),
        (13101.0, "131016"),
        # Excel turns the 5-digit code 01100 into the number 1100; the leading zero comes back.
        ("1100", "011002"),
        (1100, "011002"),
        ("1002", "010022"),
    ],
)
def test_normalize_code_accepts_what_people_type_and_excel_produces(raw, expected):
    assert normalize_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "団体コードが空です"),
        ("", "団体コードが空です"),
        ("  ", "団体コードが空です"),
        ("札幌市", "団体コードは数字で入力してください"),
        ("13101a", "団体コードは数字で入力してください"),
        ("011003", "チェックディジットが正しくありません"),
        ("131017", "チェックディジットが正しくありません"),
        ("123", "団体コードは5桁または6桁です"),
        ("1310160", "団体コードは5桁または6桁です"),
        ("48100", "先頭2桁（都道府県コード）は01〜47です"),
        ("481009", "先頭2桁（都道府県コード）は01〜47です"),
        ("00000", "先頭2桁（都道府県コード）は01〜47です"),
        ("0123", "先頭2桁（都道府県コード）は01〜47です"),
    ],
)
def test_bad_codes_are_refused_in_japanese(raw, message):
    with pytest.raises(InvalidCode) as excinfo:
        normalize_code(raw)
    assert message in str(excinfo.value)


@pytest.mark.parametrize("code", ["011003", "13101", "1310160", "１３１０１６", "abcdef", ""])
def test_is_valid_code_wants_six_ascii_digits_with_the_check_digit(code):
    assert not is_valid_code(code)


def test_check_digit_rejects_non_five_digit_input():
    with pytest.raises(InvalidCode):
        check_digit("1310")
    with pytest.raises(InvalidCode):
        check_digit("13a01")


def test_every_code_in_the_register_data_is_valid():
    """data/municipalities.csv (the reference register) passes the check digit everywhere."""
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "data" / "municipalities.csv"
    with path.open(encoding="utf-8") as handle:
        codes = [row["code"] for row in csv.DictReader(handle)]
    assert len(codes) == 1788
    assert all(is_valid_code(code) and normalize_code(code[:5]) == code for code in codes)
