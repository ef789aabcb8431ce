from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """The login form with Japanese labels and messages (independent of the translation catalogue)."""

    error_messages = {
        "invalid_login": "ユーザー名またはパスワードが正しくありません。大文字と小文字は区別されます。",
        "inactive": "このアカウントは無効になっています。管理者にお問い合わせください。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "ユーザー名"
        self.fields["password"].label = "パスワード"
        self.fields["username"].error_messages["required"] = "ユーザー名を入力してください。"
        self.fields["password"].error_messages["required"] = "パスワードを入力してください。"
        # Django sets the limit only as an HTML attribute: a longer name went on to authenticate(), and django-axes
        # then stored the failed attempt in a varchar(255) (PostgreSQL: a 500).
        limit = self.fields["username"].max_length
        self.fields["username"].validators.append(MaxLengthValidator(
            limit, message=f"ユーザー名は{limit}文字以内で入力してください。"))


class TokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100, required=False,
                           error_messages={"max_length": "用途は100文字以内で入力してください。"},
                           help_text="例: 進捗データ連携（庁内システム）。あとで見分けるための名前です。")
