from django import forms

from sceau.pieces.models import Recipient


class DossierForm(forms.Form):
    reference = forms.CharField(label="Référence du dossier", max_length=80)
    creditor = forms.CharField(label="Créancier", max_length=300)
    court = forms.CharField(label="Juridiction ayant rendu l'ordonnance", max_length=300)


class RecipientForm(forms.Form):
    name = forms.CharField(label="Nom ou dénomination", max_length=300)
    kind = forms.ChoiceField(label="Type", choices=Recipient.KINDS, initial=Recipient.NATURAL)
    address = forms.CharField(
        label="Adresse postale", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    email = forms.EmailField(label="Adresse électronique (facultative)", required=False)
    residence = forms.ChoiceField(
        label="Résidence", choices=Recipient.RESIDENCES, initial=Recipient.RESIDENCE_FRANCE
    )


RecipientFormSet = forms.formset_factory(
    RecipientForm, extra=3, min_num=1, validate_min=True, max_num=20
)


class SignificationForm(forms.Form):
    date = forms.DateField(
        label="Date de signification", widget=forms.DateInput(attrs={"type": "date"})
    )


class ExtensionForm(forms.Form):
    until = forms.DateField(
        label="Disponible jusqu'au (inclus)", widget=forms.DateInput(attrs={"type": "date"})
    )
