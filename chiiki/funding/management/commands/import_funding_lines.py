from chiiki.funding.imports import FUNDING_LINES

from ._importing import ImportCommand


class Command(ImportCommand):
    help = "実装計画の財源（財源の一覧の出力形式）を取り込みます。全行が正しいときだけ書き込みます。"
    importer = FUNDING_LINES
