"""Access credentials printed on the served act (Mes Pièces).

Both credentials use a 30-character alphabet without look-alikes (no 0, 1, I, L, O, U) and end
with a check character computed with the Luhn mod N algorithm (N = 30), which catches every
single-character typo and every adjacent transposition except "2" <-> "Z".

* The personal code is secret: 17 random characters from ``secrets`` (about 83.4 bits, above the
  80 bits recommended by the CNIL and the ANSSI for a secret used without a rate-limited second
  factor) plus the check character, printed as six groups of three: ``K7M-4QX-...``. Its compact
  form (18 characters, no separators) is what gets hashed and compared.
* The identifier is not secret (it names the access, like a login): ``MP-`` followed by 8 random
  characters and the check character, printed as ``MP-XXX-XXX-XXX``. That printed form is also
  its canonical, stored form.

Normalisation only forgives case and separators (spaces, dashes, dots): a character that is not
in the alphabet is refused rather than guessed.
"""

from __future__ import annotations

import math
import secrets
import unicodedata

__all__ = [
    "ALPHABET",
    "CODE_ENTROPY_BITS",
    "CODE_LENGTH",
    "CODE_RANDOM_LENGTH",
    "IDENTIFIER_ENTROPY_BITS",
    "IDENTIFIER_LENGTH",
    "IDENTIFIER_PREFIX",
    "IDENTIFIER_RANDOM_LENGTH",
    "InvalidCode",
    "InvalidIdentifier",
    "format_code",
    "format_identifier",
    "generate_code",
    "generate_identifier",
    "luhn_check_char",
    "luhn_is_valid",
    "normalize_code",
    "normalize_identifier",
]

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE = len(ALPHABET)
_INDEX = {char: position for position, char in enumerate(ALPHABET)}
assert _BASE == 30 and len(_INDEX) == _BASE

CODE_RANDOM_LENGTH = 17
CODE_LENGTH = CODE_RANDOM_LENGTH + 1
CODE_GROUP = 3
CODE_ENTROPY_BITS = CODE_RANDOM_LENGTH * math.log2(_BASE)

IDENTIFIER_PREFIX = "MP"
IDENTIFIER_RANDOM_LENGTH = 8
IDENTIFIER_LENGTH = IDENTIFIER_RANDOM_LENGTH + 1
IDENTIFIER_ENTROPY_BITS = IDENTIFIER_RANDOM_LENGTH * math.log2(_BASE)

# Separators a person may type or a PDF viewer may produce when copying.
_SEPARATORS = frozenset("-.\u2010\u2011\u2012\u2013\u2014\u2212_")
_MAX_RAW_LENGTH = 200
_EXCLUDED_HINT = "les caractères 0, 1, I, L, O et U ne sont jamais utilisés"


class InvalidCode(ValueError):
    """A personal code as typed cannot be valid; the message is French, for the user."""


class InvalidIdentifier(ValueError):
    """An identifier as typed cannot be valid; the message is French, for the user."""


def _random_chars(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def luhn_check_char(payload: str) -> str:
    """The Luhn mod 30 check character of ``payload`` (characters of ``ALPHABET``)."""
    total = 0
    factor = 2
    for char in reversed(payload):
        addend = factor * _INDEX[char]
        total += addend // _BASE + addend % _BASE
        factor = 3 - factor
    return ALPHABET[(_BASE - total % _BASE) % _BASE]


def luhn_is_valid(value: str) -> bool:
    """True if the last character of ``value`` is the Luhn mod 30 check of the others."""
    if not value or any(char not in _INDEX for char in value):
        return False
    return luhn_check_char(value[:-1]) == value[-1]


def _group(compact: str, size: int = CODE_GROUP) -> str:
    return "-".join(compact[i : i + size] for i in range(0, len(compact), size))


def _compact(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw[:_MAX_RAW_LENGTH]).upper()
    return "".join(char for char in text if not char.isspace() and char not in _SEPARATORS)


def _first_foreign_char(compact: str) -> str | None:
    return next((char for char in compact if char not in _INDEX), None)


def generate_code() -> str:
    """A new personal code, printed form: six groups of three characters separated by "-"."""
    payload = _random_chars(CODE_RANDOM_LENGTH)
    return _group(payload + luhn_check_char(payload))


def normalize_code(raw: str) -> str:
    """The 18-character compact form of a typed code, or ``InvalidCode`` with a French message.

    Case, spaces, dashes and dots are forgiven; nothing else is.
    """
    compact = _compact(raw)
    if len(raw) > _MAX_RAW_LENGTH or len(compact) != CODE_LENGTH:
        raise InvalidCode(
            f"Le code comporte {CODE_LENGTH} caractères (six groupes de trois) ; "
            f"vous en avez saisi {len(compact)}. Vérifiez-le sur l'acte."
        )
    foreign = _first_foreign_char(compact)
    if foreign is not None:
        raise InvalidCode(
            f"Le caractère « {foreign} » ne figure pas dans les codes ({_EXCLUDED_HINT}) : "
            "vérifiez-le sur l'acte."
        )
    if not luhn_is_valid(compact):
        raise InvalidCode("Le code saisi contient une faute de frappe : vérifiez-le sur l'acte.")
    return compact


def format_code(compact: str) -> str:
    """The printed form (``XXX-XXX-XXX-XXX-XXX-XXX``) of a code; accepts any typed form."""
    return _group(normalize_code(compact))


def generate_identifier() -> str:
    """A new identifier, printed and canonical form ``MP-XXX-XXX-XXX`` (last char is a check)."""
    payload = _random_chars(IDENTIFIER_RANDOM_LENGTH)
    return f"{IDENTIFIER_PREFIX}-{_group(payload + luhn_check_char(payload))}"


def normalize_identifier(raw: str) -> str:
    """The canonical ``MP-XXX-XXX-XXX`` form of a typed identifier, or ``InvalidIdentifier``.

    Case and separators are forgiven and the ``MP`` prefix may be omitted.
    """
    compact = _compact(raw)
    if len(compact) == len(IDENTIFIER_PREFIX) + IDENTIFIER_LENGTH and compact.startswith(
        IDENTIFIER_PREFIX
    ):
        compact = compact[len(IDENTIFIER_PREFIX) :]
    if len(raw) > _MAX_RAW_LENGTH or len(compact) != IDENTIFIER_LENGTH:
        raise InvalidIdentifier(
            f"L'identifiant a la forme {IDENTIFIER_PREFIX}-XXX-XXX-XXX "
            f"({IDENTIFIER_LENGTH} caractères après « {IDENTIFIER_PREFIX} ») : "
            "vérifiez-le sur l'acte."
        )
    foreign = _first_foreign_char(compact)
    if foreign is not None:
        raise InvalidIdentifier(
            f"Le caractère « {foreign} » ne figure pas dans les identifiants "
            f"({_EXCLUDED_HINT}) : vérifiez-le sur l'acte."
        )
    if not luhn_is_valid(compact):
        raise InvalidIdentifier(
            "L'identifiant saisi contient une faute de frappe : vérifiez-le sur l'acte."
        )
    return f"{IDENTIFIER_PREFIX}-{_group(compact)}"


def format_identifier(raw: str) -> str:
    """The printed form of an identifier (same as ``normalize_identifier``)."""
    return normalize_identifier(raw)
