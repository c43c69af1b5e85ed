from __future__ import annotations

from django import forms

from sceau.creances import machine
from sceau.creances.models import Claim
from sceau.creances.web_support import OUTCOME_LABELS
from sceau.identity.models import Office

AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}
ATTACHMENT_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


def _amount(label: str, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )


def euros(value: str) -> str:
    """Accept « 1 250,50 » as well as « 1250.50 »; the machine checks the amount."""
    return (value or "").strip().replace("\u202f", "").replace(" ", "").replace(",", ".")


class RegisterForm(forms.Form):
    full_name = forms.CharField(
        label="Nom et prénom, ou dénomination de la société",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Mot de passe (12 caractères au moins)",
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class _DebtorFields(forms.Form):
    debtor_name = forms.CharField(label="Nom du débiteur (ou dénomination)", max_length=300)
    debtor_address = forms.CharField(
        label="Adresse du débiteur", max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    debtor_postal_code = forms.CharField(
        label="Code postal du domicile du débiteur",
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    debtor_email = forms.EmailField(
        label="Adresse électronique du débiteur (facultative)", required=False
    )
    basis = forms.ChoiceField(
        label="Origine de la créance",
        choices=Claim.BASES,
        widget=forms.RadioSelect,
        initial=Claim.CONTRACTUAL,
    )
    description = forms.CharField(
        label="Fondement et description de la créance (contrat, facture, dates)",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    principal = _amount("Montant en principal (euros)", help_text="Par exemple 1200,00.")
    interest = _amount("Intérêts (euros)", help_text="0 s'il n'y en a pas.")

    def claim_input(self, creditor_name: str, creditor_address: str, creditor_email: str):
        d = self.cleaned_data
        return machine.ClaimInput(
            creditor_name=creditor_name,
            creditor_address=creditor_address,
            creditor_email=creditor_email,
            debtor_name=d["debtor_name"],
            debtor_address=d["debtor_address"],
            debtor_postal_code=d["debtor_postal_code"],
            debtor_email=d.get("debtor_email") or "",
            basis=d["basis"],
            description=d["description"],
            principal=euros(d["principal"]),
            interest=euros(d["interest"]),
        )


class OfficeChoice(forms.ModelChoiceField):
    def label_from_instance(self, office: Office) -> str:
        codes = ", ".join(sorted(office.department_codes()))
        return f"{office.name} (départements {codes})" if codes else office.name


class CreditorClaimForm(_DebtorFields):
    field_order = ["office", "creditor_address"]
    office = OfficeChoice(
        label="Étude de commissaires de justice que vous mandatez",
        queryset=Office.objects.exclude(departments="").order_by("name"),
        empty_label="Choisissez une étude",
        help_text="L'étude doit être établie dans le ressort de la cour d'appel du domicile du "
        "débiteur.",
    )
    creditor_address = forms.CharField(
        label="Votre adresse postale",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OfficerClaimForm(_DebtorFields):
    field_order = ["creditor_name", "creditor_address", "creditor_email"]
    creditor_name = forms.CharField(label="Nom du créancier (ou dénomination)", max_length=300)
    creditor_address = forms.CharField(
        label="Adresse du créancier", max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    creditor_email = forms.EmailField(
        label="Adresse électronique du créancier (facultative)", required=False
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Raison du refus (elle sera communiquée au créancier)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InvitationForm(forms.Form):
    sent_on = forms.DateField(
        label="Date d'envoi de l'invitation", widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(
        label="Envoyée par",
        choices=[
            ("post", "Lettre recommandée avec accusé de réception"),
            ("email", "Courriel (à l'adresse du débiteur)"),
        ],
        initial="post",
    )


class ProposalForm(forms.Form):
    amount = _amount("Montant total proposé (euros)")


class InstalmentForm(forms.Form):
    due = forms.DateField(
        label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = _amount("Montant (euros)", required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("due")) != bool((data.get("amount") or "").strip()):
            raise forms.ValidationError("Une échéance a une date et un montant.")
        return data


InstalmentFormSet = forms.formset_factory(InstalmentForm, extra=6, max_num=24)


def instalments_from(formset) -> list[dict]:
    """The filled rows, blank ones ignored, in the shape the machine checks."""
    return [
        {"due": f.cleaned_data["due"].isoformat(), "amount": euros(f.cleaned_data["amount"])}
        for f in formset
        if f.cleaned_data.get("due")
    ]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label="Issue de la procédure", choices=list(OUTCOME_LABELS.items()))
    signing_secret = forms.CharField(
        label="Phrase secrète ou code PIN de votre certificat de signature",
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        strip=False,
    )


class MessageForm(forms.Form):
    text = forms.CharField(
        label="Votre message", max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    counter_amount = _amount("Contre-proposition : montant en euros (facultatif)", required=False)
    # Shown only: the file never reaches the form. The vault's upload handler seals it as it
    # arrives and the view takes it from request.FILES (see sceau.api.pieces.single_upload).
    file = forms.FileField(
        label="Pièce jointe (facultative)",
        required=False,
        help_text="un seul fichier PDF, PNG ou JPEG ; il est chiffré dès sa réception et son "
        "empreinte SHA-256 est enregistrée.",
        widget=forms.FileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )

    def counter(self) -> str | None:
        value = euros(self.cleaned_data.get("counter_amount") or "")
        return value or None


class HolderPasswordForm(forms.Form):
    """The debtor's own password, typed later at /acces/ in the « Code personnel » field."""

    # /acces/ reads at most 64 characters and strips the spaces around them, as done here;
    # strength is checked by identity.set_holder_password (its message is the one shown).
    password = forms.CharField(
        label="Nouveau mot de passe (12 à 64 caractères)",
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirmation = forms.CharField(
        label="Confirmez le mot de passe",
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("confirmation") != data["password"]:
            self.add_error("confirmation", "Les deux saisies ne sont pas identiques.")
        return data
