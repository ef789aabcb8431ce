"""A file with a header and nothing under it is said, by every import, not answered 「0件を取り込みました」."""

import pytest

from chiiki.cases import validation as case_validation
from chiiki.cases.imports import CASES
from chiiki.funding.importing import REQUIRED as LINE_COLUMNS
from chiiki.funding.imports import FUNDING_LINES
from chiiki.talent.actions import ROSTER_REQUIRED
from chiiki.talent.imports import ROSTER

pytestmark = pytest.mark.django_db

EMPTY = "データ行がありません（見出しの行だけです）"


@pytest.mark.parametrize("importer, header", [
    (FUNDING_LINES, LINE_COLUMNS), (CASES, case_validation.REQUIRED_COLUMNS), (ROSTER, ROSTER_REQUIRED),
], ids=["funding-lines", "cases", "roster"])
@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "import"])
def test_a_header_only_file_is_refused_in_words(users, importer, header, dry_run):
    data = ("\ufeff" + ",".join(header) + "\r\n").encode()

    result = importer.run(users["admin"], data, "template.csv", dry_run=dry_run)

    assert not result.ok
    assert [problem.reason for problem in result.problems] == [EMPTY]
    assert not result.committed


def test_a_header_only_file_through_the_api_is_a_422(client_for, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = ("\ufeff" + ",".join(LINE_COLUMNS) + "\r\n").encode()
    response = client_for(users["admin"]).post("/api/v1/funding/lines/import",
                                               {"file": SimpleUploadedFile("template.csv", data)})
    assert response.status_code == 422, response.content
    assert [problem["message"] for problem in response.json()["errors"]] == [EMPTY]
