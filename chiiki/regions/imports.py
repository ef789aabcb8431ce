"""The official-figure imports (population, area, 主要財政指標) as the core pipeline runs them: web upload for the
national admin and the `import_population` / `import_area` / `import_fiscal_indices` commands."""

from django import forms

from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.imports import Importer, ImportForm

from . import actions


class PopulationForm(ImportForm):
    year = forms.IntegerField(label="基準年", required=False, min_value=1900, max_value=2100,
                              help_text="例: 2020。空欄なら人口の列名に含まれる4桁の年（「総人口（2020年）」）を使います。")
    code_column = forms.CharField(label="団体コードの列名", initial="団体コード", max_length=100)
    population_column = forms.CharField(label="人口の列名", initial="人口", max_length=100)
    data_source = forms.CharField(label="出典", required=False, max_length=200,
                                  help_text="例: 令和2年国勢調査 人口等基本集計。空欄なら「人口（基準年）」")


class AreaForm(ImportForm):
    code_column = forms.CharField(label="団体コードの列名", initial="団体コード", max_length=100)
    area_column = forms.CharField(label="面積（km²）の列名", initial="面積", max_length=100)
    data_source = forms.CharField(label="出典", required=False, max_length=200,
                                  help_text=f"空欄なら「{actions.DEFAULT_AREA_SOURCE}」")


class FiscalIndicesForm(ImportForm):
    fiscal_year = forms.CharField(label="決算年度", max_length=20,
                                  help_text="例: 2022 または 令和4年度（令和4年度決算の表なら 2022）")
    code_column = forms.CharField(label="団体コードの列名", initial="団体コード", max_length=100)
    data_source = forms.CharField(label="出典", required=False, max_length=200,
                                  help_text="空欄なら「総務省『地方公共団体の主要財政指標一覧』（令和○年度決算）」")

    def clean_fiscal_year(self):
        try:
            return parse_fiscal_year(self.cleaned_data["fiscal_year"])
        except InvalidFiscalYear as exc:
            raise forms.ValidationError(str(exc)) from None


POPULATION = Importer(
    key="population", title="人口の取込", action=actions.import_population, permission="register.import",
    namespace="regions", url_name="import_population", help_template="regions/_import_figures_help.html",
    done_url="regions:list", back_url="regions:list", back_label="団体一覧", form_class=PopulationForm,
    hidden_to_public=True,
)

AREA = Importer(
    key="area", title="面積の取込", action=actions.import_area, permission="register.import",
    namespace="regions", url_name="import_area", help_template="regions/_import_figures_help.html",
    done_url="regions:list", back_url="regions:list", back_label="団体一覧", form_class=AreaForm,
    hidden_to_public=True,
)

FISCAL_INDICES = Importer(
    key="fiscal_indices", title="財政指標の取込", action=actions.import_fiscal_indices, permission="register.import",
    namespace="regions", url_name="import_fiscal_indices", help_template="regions/_import_fiscal_help.html",
    done_url="regions:list", back_url="regions:list", back_label="団体一覧", form_class=FiscalIndicesForm,
    hidden_to_public=True,
)
