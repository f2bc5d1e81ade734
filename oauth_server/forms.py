from django import forms
from oauth2_provider.forms import AllowForm


class ConsentForm(AllowForm):
    """DOT's hidden fields of the authorization request, plus the organizations the person grants."""

    organizations = forms.TypedMultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, coerce=str, choices=()
    )

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].choices = [(str(org.pk), org.name) for org in organizations]


class SignInForm(forms.Form):
    identifier = forms.CharField(label="Email or username", max_length=254)
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput, max_length=4096)


class SecondFactorForm(forms.Form):
    mfa_token = forms.CharField(widget=forms.HiddenInput, max_length=200)
    code = forms.CharField(label="Code from your authenticator app, or a recovery code", max_length=64)
