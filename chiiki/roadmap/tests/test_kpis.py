from chiiki.roadmap.queries import kpi_target


def test_kpi_target_is_read_from_the_data_file(tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_text("id,name,target_value,target_fiscal_year,unit,baseline_value,baseline_date,source\n"
                    "DIGIDEN-1500,デジタル実装に取り組む地方公共団体数,1500,2027,団体,1161,2023-03,総合戦略\n",
                    encoding="utf-8")
    kpi = kpi_target(path)
    assert kpi["target"] == 1500 and kpi["target_fiscal_year"] == 2027 and kpi["baseline"] == 1161
    assert kpi_target(tmp_path / "missing.csv") is None


def test_the_national_kpi_is_in_the_repository_data():
    kpi = kpi_target()
    assert kpi is not None and kpi["id"] == "DIGIDEN-1500" and kpi["target"] > 0
