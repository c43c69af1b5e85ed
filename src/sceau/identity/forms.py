from django import forms


class OfficerLoginForm(forms.Form):
    email = forms.EmailField(label="Adresse électronique", max_length=254)
    password = forms.CharField(label="Mot de passe", widget=forms.PasswordInput, max_length=200)
    otp = forms.CharField(
        label="Code à usage unique (application d'authentification)",
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class AccessLoginForm(forms.Form):
    identifier = forms.CharField(
        label="Identifiant",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "characters"}),
    )
    code = forms.CharField(
        label="Code personnel",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
