"""The official-figure imports (population, area) as the core pipeline runs them: web upload for the national
admin and the `import_population` / `import_area` commands."""

from django import forms

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
