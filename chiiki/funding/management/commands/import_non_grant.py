from chiiki.funding.imports import NON_GRANT

from ._importing import ImportCommand


class Command(ImportCommand):
    help = ("企業版ふるさと納税の対象外判定に使う、年度ごとの不交付団体・三大都市圏の区分（団体コード,年度,不交付団体,三大都市圏）を"
            "取り込みます。全行が正しいときだけ書き込みます。")
    importer = NON_GRANT
