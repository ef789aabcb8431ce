"""The house rules that keep the code in its rooms (../shared/DESIGN.md), checked on the source itself:

- the read side (views, API endpoints, queries, forms, template tags) never writes to the database: every write
  goes through a write module (actions, importing, reference loaders), which checks access and keeps history;
- who may see or do what is decided in chiiki/access.py alone: the read side never compares a user's role.

A new file or a new line that breaks a rule fails here with its place named."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]
READ_SIDE = ("views.py", "api.py", "queries.py", "forms.py", "search.py", "context_processors.py", "mypage.py")
# ORM calls that write (QuerySet/Manager methods and Model.save/delete).
WRITES = {"save", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "update"}


def read_side_modules() -> list[Path]:
    found = [path for path in PACKAGE.rglob("*.py")
             if "tests" not in path.parts and "migrations" not in path.parts
             and (path.name in READ_SIDE or path.name.endswith("_views.py") or "templatetags" in path.parts)]
    return sorted(found)


def _receiver(call: ast.Call) -> str:
    return ast.unparse(call.func.value) if isinstance(call.func, ast.Attribute) else ""


def orm_writes(source: str) -> list[tuple[int, str]]:
    """(line, call) of the calls in `source` that write through the ORM. A write on a dict/set/Form (`.update`)
    or a route decorator (`router.delete(...)`) is not one: only calls on a manager or queryset (`objects`,
    `…_set`, a filtered queryset) and Model.save()/.delete() on anything count."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES):
            continue
        receiver = _receiver(node)
        on_queryset = ".objects" in receiver or receiver.endswith(("objects", "_set")) or (
            isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Attribute)
            and node.func.value.func.attr in {"filter", "exclude", "all", "select_for_update"})
        model_write = node.func.attr in {"save", "delete"} and receiver not in {"router", "api"}
        if on_queryset or model_write:
            found.append((node.lineno, f"{receiver}.{node.func.attr}()"))
    return found


def role_comparisons(source: str) -> list[tuple[int, str]]:
    """(line, expression) of the comparisons that read a user's role (`x.role == …`, `… in (Role.A, …)`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        parts = [node.left, *node.comparators]
        if any(isinstance(p, ast.Attribute) and p.attr == "role" for p in parts) or any(
                isinstance(p, ast.Attribute) and isinstance(p.value, ast.Name) and p.value.id == "Role"
                for p in parts):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_scanners_find_what_they_look_for():
    source = (
        "def view(request, user, form, data):\n"
        "    Case.objects.create(title='x')\n"
        "    Case.objects.filter(pk=1).update(title='y')\n"
        "    municipality.save()\n"
        "    municipality.case_set.all()\n"
        "    data.update({'a': 1})\n"
        "    form.fields['x'].widget.attrs.update({})\n"
        "    if user.role == Role.MUNICIPAL_STAFF:\n"
        "        pass\n"
        "    if Role.COMPANY == kind:\n"
        "        pass\n"
        "    return user.role_label\n"
        "@router.delete('/x')\n"
        "def endpoint(request):\n"
        "    pass\n"
    )
    assert [line for line, _ in orm_writes(source)] == [2, 3, 4]
    assert [line for line, _ in role_comparisons(source)] == [8, 10]


def test_there_is_a_read_side_to_check():
    names = {path.relative_to(PACKAGE).as_posix() for path in read_side_modules()}
    assert {"progress/views.py", "progress/api.py", "progress/queries.py", "cases/queries.py", "talent/mypage.py"} <= names


@pytest.mark.parametrize("path", read_side_modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_the_read_side_never_writes(path):
    assert orm_writes(path.read_text(encoding="utf-8")) == [], (
        f"{path.relative_to(PACKAGE)}: write through the app's actions.py (access check, history), not here")


@pytest.mark.parametrize("path", read_side_modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_the_read_side_never_decides_by_role(path):
    assert role_comparisons(path.read_text(encoding="utf-8")) == [], (
        f"{path.relative_to(PACKAGE)}: ask chiiki/access.py (can, scope_*, staff_*_id) instead of comparing roles")
