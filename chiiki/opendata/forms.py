"""Forms of the catalog's pages; values are checked again (and finally) by chiiki.opendata.actions."""

from django import forms
from django.conf import settings

from chiiki.core import editing
from chiiki.core.tabular import format_size
from chiiki.roadmap.models import Sector

from . import standard
from .models import Frequency, License, Visibility


def _sector_choices():
    return list(Sector.objects.order_by("order", "code").values_list("code", "name"))


class DatasetForm(forms.Form):
    owner = forms.ChoiceField(label="公開する団体", required=True)
    name = forms.CharField(label="URL名", max_length=100,
                           help_text="半角の英小文字・数字・「-」「_」（例: hachioji-aed）。CKAN API の name になります")
    title = forms.CharField(label="タイトル", max_length=200)
    notes = forms.CharField(label="説明", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    license = forms.ChoiceField(label="ライセンス", choices=License.choices, initial=License.CC_BY)
    license_other = forms.CharField(label="ライセンス（その他の場合）", required=False, max_length=200)
    tags = forms.CharField(label="タグ", required=False, help_text="「,」または「、」で区切って入力")
    sectors = forms.MultipleChoiceField(label="分野", required=False, widget=forms.CheckboxSelectMultiple)
    frequency = forms.ChoiceField(label="更新頻度", choices=Frequency.choices, initial=Frequency.IRREGULAR)
    standard_type = forms.ChoiceField(label="自治体標準オープンデータセット", required=False)
    visibility = forms.ChoiceField(label="公開範囲", choices=Visibility.choices, initial=Visibility.PUBLIC,
                                   widget=forms.RadioSelect,
                                   help_text="「庁内限定」は自団体（と所管する都道府県・総務省）の職員だけが見られます")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, owners=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].choices = _sector_choices()
        self.fields["standard_type"].choices = [("", "（該当しない）"), *standard.choices()]
        if editing:
            del self.fields["owner"]
        else:
            self.fields["owner"].choices = owners or []

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("owner", None)
        data.pop("version", None)
        return data


class ResourceForm(forms.Form):
    name = forms.CharField(label="名称", required=False, max_length=200, help_text="空欄ならファイル名を使います")
    file = forms.FileField(label="ファイル", required=False)
    url = forms.URLField(label="外部URL（ファイルの代わりに）", required=False, max_length=500, assume_scheme="https")
    format = forms.CharField(label="形式", required=False, max_length=20, help_text="空欄なら拡張子から判断します（CSV, XLSX など）")
    description = forms.CharField(label="説明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"{format_size(settings.OPENDATA_MAX_UPLOAD_BYTES)}まで"


class UseCaseForm(forms.Form):
    title = forms.CharField(label="アプリ・研究などの名称", max_length=200,
                            error_messages={"required": "名称を入力してください"})  # the action's words
    url = forms.URLField(label="URL", required=False, max_length=500, assume_scheme="https")
    description = forms.CharField(label="どのように使っているか", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ModerateUseForm(forms.Form):
    """The 掲載する/掲載しない buttons: the action says which statuses there are (and reads the version)."""

    status = forms.CharField(required=False)
    # Text, not a number field: the action words a bad version, as in the API and for every other edit.
    version = forms.CharField(widget=forms.HiddenInput, error_messages={"required": editing.VERSION_REQUIRED})


class ValidateForm(forms.Form):
    schema = forms.ChoiceField(label="標準データセットの種類")
    file = forms.FileField(label="検証するファイル（CSV または XLSX）")
    code = forms.CharField(label="公開する団体の団体コード（任意）", required=False, max_length=6,
                           help_text="入力すると「全国地方公共団体コード」列がこの団体と一致するかも確かめます")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schema"].choices = standard.choices()
