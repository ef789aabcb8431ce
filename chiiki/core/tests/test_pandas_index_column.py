"""A file whose first column has a blank heading and holds row numbers (pandas' DataFrame.to_csv / to_excel write
one by default) imports as before: its values are not under a blank heading *between named ones* (read_table's
own rule), and nothing of the data is lost by leaving a row number out."""

from io import StringIO

from django.core.management import call_command

from chiiki.regions.models import Municipality

# pandas: df.to_csv("pop.csv") with the default index=True.
PANDAS = ",団体コード,人口\r\n0,13101,66680\r\n1,13201,579355\r\n"


def test_a_pandas_index_column_does_not_refuse_the_file(register, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_bytes(PANDAS.encode())
    call_command("import_population", str(path), "--year", "2020", stdout=StringIO())
    assert Municipality.objects.get(code="131016").population == 66680
    assert Municipality.objects.get(code="132012").population == 579355
