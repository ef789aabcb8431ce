"""Errors shared by every app: bad files, bad rows, bad values, stale versions.

Views turn `Invalid` into form errors (HTTP 422 in the API) and `Conflict` into a Japanese message with the
current values (HTTP 409 in the API); importers report `RowProblem`s. chiiki/api.py maps them in one place.
"""


class DataFileError(Exception):
    """A reference or import file cannot be used; the message names the file, row, column and problem."""

    def __init__(self, message: str, *, path=None, row: int | None = None, column: str | None = None):
        self.path, self.row, self.column = path, row, column
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"{row}行目")
        if column:
            where.append(f"列「{column}」")
        super().__init__(f"{' '.join(where)}: {message}" if where else message)


class RowProblem:
    """One bad row of an import: the row number as in the file (None: the file as a whole), the column,
    the reason (Japanese) and the offending value when there is one."""

    __slots__ = ("row", "column", "reason", "value")

    def __init__(self, row: int | None, column: str, reason: str, value: str = ""):
        self.row, self.column, self.reason, self.value = row, column, reason, value

    def __str__(self):
        where = f"{self.row}行目" if self.row else "ファイル"
        return f"{where} 列「{self.column}」: {self.reason}" if self.column else f"{where}: {self.reason}"

    def __repr__(self):
        return f"RowProblem({self.row!r}, {self.column!r}, {self.reason!r})"

    def __eq__(self, other):
        return isinstance(other, RowProblem) and (self.row, self.column, self.reason, self.value) == (
            other.row, other.column, other.reason, other.value)

    def __hash__(self):
        return hash((self.row, self.column, self.reason, self.value))


class ImportRejected(Exception):
    """An all-or-nothing import found problems; nothing was written. `problems` names every bad row."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)}件の問題があるため取り込みを中止しました（何も変更していません）")

    def report(self, limit: int = 50) -> str:
        lines = [str(self), *(f"  {p}" for p in self.problems[:limit])]
        if len(self.problems) > limit:
            lines.append(f"  …ほか{len(self.problems) - limit}件")
        return "\n".join(lines)


class Invalid(ValueError):
    """Values that cannot be saved; nothing was written. `problems` lists (field, Japanese reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]] | dict[str, str] | str):
        if isinstance(problems, str):
            problems = [("", problems)]
        elif isinstance(problems, dict):
            problems = list(problems.items())
        self.problems = problems
        super().__init__("; ".join(reason for _field, reason in problems))

    @property
    def errors(self) -> dict[str, str]:
        """field → reason (the first reason per field)."""
        result: dict[str, str] = {}
        for name, reason in self.problems:
            result.setdefault(name, reason)
        return result


class Conflict(Exception):
    """Someone else saved the row since it was read (optimistic version check); nothing was written.

    `current` is the row as it is now (None: it does not exist yet), for showing the newer values.
    """

    DEFAULT = "ほかの利用者が先に更新しました。最新の内容を確認してから、もう一度保存してください。"
    # A delete confirmed on a page opened before someone else changed the row (the page shows it as it is now),
    # or removed it.
    BEFORE_DELETE = ("ほかの利用者が先に更新しました。削除していません。現在の内容を表示しています。"
                     "このまま削除してよければ、もう一度「削除する」を押してください。")
    GONE = "ほかの利用者が先に削除しました。"

    def __init__(self, message: str = "", current=None):
        super().__init__(message or self.DEFAULT)
        self.current = current


# Request validation (django-ninja / pydantic) says what is wrong in English; the API answers in Japanese like the
# rest of it. The error's "type", "loc" and "ctx" stay as pydantic gives them (clients may key on "type").
_VALIDATION_MESSAGES = {
    "missing": "必須の項目です",
    "int_parsing": "整数で指定してください", "int_type": "整数で指定してください",
    "int_from_float": "整数で指定してください（小数は使えません）",
    "float_parsing": "数値で指定してください", "float_type": "数値で指定してください",
    "decimal_parsing": "数値で指定してください", "decimal_type": "数値で指定してください",
    "bool_parsing": "true または false で指定してください", "bool_type": "true または false で指定してください",
    "string_type": "文字列で指定してください", "list_type": "配列で指定してください",
    "dict_type": "オブジェクト（JSON）で指定してください", "model_type": "オブジェクト（JSON）で指定してください",
    "model_attributes_type": "オブジェクト（JSON）で指定してください",
    "date_parsing": "日付（YYYY-MM-DD）で指定してください", "date_type": "日付（YYYY-MM-DD）で指定してください",
    "date_from_datetime_parsing": "日付（YYYY-MM-DD）で指定してください",
    "datetime_parsing": "日時（ISO 8601）で指定してください", "datetime_type": "日時（ISO 8601）で指定してください",
    "datetime_from_date_parsing": "日時（ISO 8601）で指定してください",
    "url_parsing": "URLの形式が正しくありません", "url_type": "URLの形式が正しくありません",
    "url_scheme": "http または https で始まるURLを指定してください",
    "json_invalid": "JSONとして読み取れません", "json_type": "JSONとして読み取れません",
    "uuid_parsing": "UUIDの形式が正しくありません",
}
_BOUND_MESSAGES = {
    "greater_than_equal": ("ge", "{}以上で指定してください"), "greater_than": ("gt", "{}より大きい値で指定してください"),
    "less_than_equal": ("le", "{}以下で指定してください"), "less_than": ("lt", "{}より小さい値で指定してください"),
    "string_too_short": ("min_length", "{}文字以上で指定してください"),
    "string_too_long": ("max_length", "{}文字以内で指定してください"),
    "too_short": ("min_length", "{}件以上で指定してください"), "too_long": ("max_length", "{}件以内で指定してください"),
    "enum": ("expected", "次のいずれかを指定してください: {}"), "literal_error": ("expected", "次のいずれかを指定してください: {}"),
}


def japanese_validation_message(error: dict) -> str:
    kind, ctx, msg = error.get("type", ""), error.get("ctx") or {}, str(error.get("msg", ""))
    if kind in _VALIDATION_MESSAGES:
        return _VALIDATION_MESSAGES[kind]
    if kind in _BOUND_MESSAGES and _BOUND_MESSAGES[kind][0] in ctx:
        key, template = _BOUND_MESSAGES[kind]
        return template.format(ctx[key])
    if kind in ("value_error", "assertion_error"):
        # Our own validators already raise Japanese messages; pydantic prefixes them.
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"入力が正しくありません（{msg}）" if msg else "入力が正しくありません"


def japanese_validation_errors(errors) -> list:
    """pydantic's error list with each "msg" in Japanese (see _VALIDATION_MESSAGES)."""
    return [{**e, "msg": japanese_validation_message(e)} if isinstance(e, dict) else e for e in errors]
