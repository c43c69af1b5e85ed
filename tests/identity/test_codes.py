"""Tests for the access credentials printed on served acts."""

import re
from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sceau.identity.codes import (
    ALPHABET,
    CODE_ENTROPY_BITS,
    CODE_LENGTH,
    IDENTIFIER_ENTROPY_BITS,
    InvalidCode,
    InvalidIdentifier,
    format_code,
    format_identifier,
    generate_code,
    generate_identifier,
    luhn_check_char,
    luhn_is_valid,
    normalize_code,
    normalize_identifier,
)

CODE_RE = re.compile(
    r"^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{3}(-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{3}){5}$"
)
IDENTIFIER_RE = re.compile(r"^MP-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{3}(-[2-9A-HJKMNP-TV-Z]{3}){2}$")

codes = st.text(alphabet=ALPHABET, min_size=17, max_size=17).map(
    lambda payload: format_code(payload + luhn_check_char(payload))
)
identifiers = st.text(alphabet=ALPHABET, min_size=8, max_size=8).map(
    lambda payload: format_identifier("MP" + payload + luhn_check_char(payload))
)


def test_alphabet() -> None:
    assert len(ALPHABET) == 30
    assert len(set(ALPHABET)) == 30
    assert not set(ALPHABET) & set("01ILOU")
    assert set(ALPHABET) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def test_entropy() -> None:
    assert CODE_ENTROPY_BITS >= 80
    assert CODE_ENTROPY_BITS == pytest.approx(83.42, abs=0.01)
    assert IDENTIFIER_ENTROPY_BITS == pytest.approx(39.25, abs=0.01)


def test_luhn_reference_values() -> None:
    # Worked by hand: payload "3" (index 1) doubled -> 2, check = (30 - 2) % 30 = 28 -> "Y".
    assert luhn_check_char("3") == "Y"
    assert luhn_is_valid("3Y")
    # All-"2" payloads have index 0 everywhere: check is index 0.
    assert luhn_check_char("222") == "2"
    assert not luhn_is_valid("")
    assert not luhn_is_valid("3O")


# --- the personal code -------------------------------------------------------------------------


def test_generate_code_format() -> None:
    for _ in range(200):
        code = generate_code()
        assert CODE_RE.match(code), code
        compact = code.replace("-", "")
        assert len(compact) == CODE_LENGTH == 18
        assert luhn_is_valid(compact)
        assert normalize_code(code) == compact
        assert format_code(compact) == code


def test_generate_code_is_random() -> None:
    assert len({generate_code() for _ in range(1000)}) == 1000


@given(codes)
def test_every_single_substitution_is_detected(code: str) -> None:
    compact = normalize_code(code)
    for position in range(len(compact)):
        for char in ALPHABET:
            if char == compact[position]:
                continue
            typo = compact[:position] + char + compact[position + 1 :]
            assert not luhn_is_valid(typo)
            with pytest.raises(InvalidCode, match="faute de frappe"):
                normalize_code(typo)


@given(codes, st.integers(0, CODE_LENGTH - 2))
def test_adjacent_transpositions_are_detected_except_2_z(code: str, position: int) -> None:
    compact = normalize_code(code)
    a, b = compact[position], compact[position + 1]
    swapped = compact[:position] + b + a + compact[position + 2 :]
    if a == b or {a, b} == {"2", "Z"}:
        return
    assert not luhn_is_valid(swapped)


def test_only_2_z_transposition_escapes_the_check() -> None:
    # Exhaustive over all pairs and both parities of position.
    undetected = set()
    for a, b in permutations(ALPHABET, 2):
        for prefix in ("", "3"):
            payload = prefix + a + b + "K"
            value = payload + luhn_check_char(payload)
            swapped = prefix + b + a + "K" + value[-1]
            if luhn_is_valid(swapped):
                undetected.add(frozenset((a, b)))
    assert undetected == {frozenset("2Z")}


@given(codes, st.sampled_from([" ", "", ".", "-", "  ", " - "]), st.booleans())
def test_normalize_code_forgives_case_and_separators(code: str, sep: str, lower: bool) -> None:
    compact = code.replace("-", "")
    typed = sep.join(compact[i : i + 3] for i in range(0, 18, 3))
    typed = f"  {typed.lower() if lower else typed}\n"
    assert normalize_code(typed) == compact


def test_normalize_code_forgives_unicode_dashes_and_nbsp() -> None:
    code = generate_code()
    assert normalize_code(code.replace("-", "\u2013")) == normalize_code(code)
    assert normalize_code(code.replace("-", "\u00a0")) == normalize_code(code)
    assert normalize_code(code.lower().replace("-", "\u202f")) == normalize_code(code)


def test_normalize_code_wrong_length() -> None:
    code = generate_code()
    with pytest.raises(InvalidCode) as excinfo:
        normalize_code(code[:-1])
    message = str(excinfo.value)
    assert message.startswith("Le code comporte 18 caractères")
    assert "17" in message
    with pytest.raises(InvalidCode, match="18 caractères"):
        normalize_code("")
    with pytest.raises(InvalidCode, match="18 caractères"):
        normalize_code(code + "A")
    with pytest.raises(InvalidCode, match="18 caractères"):
        normalize_code(code * 100)


@pytest.mark.parametrize("bad", ["O", "0", "1", "I", "L", "U", "é", "*"])
def test_normalize_code_bad_character(bad: str) -> None:
    compact = normalize_code(generate_code())
    typed = compact[:5] + bad + compact[6:]
    with pytest.raises(InvalidCode) as excinfo:
        normalize_code(typed)
    message = str(excinfo.value)
    assert f"« {bad.upper()} »" in message
    assert "0, 1, I, L, O et U" in message


def test_normalize_code_check_mismatch_message() -> None:
    compact = normalize_code(generate_code())
    wrong = ALPHABET[(ALPHABET.index(compact[-1]) + 1) % 30]
    with pytest.raises(InvalidCode) as excinfo:
        normalize_code(compact[:-1] + wrong)
    assert str(excinfo.value) == (
        "Le code saisi contient une faute de frappe : vérifiez-le sur l'acte."
    )


def test_invalid_code_is_a_value_error() -> None:
    assert issubclass(InvalidCode, ValueError)
    assert issubclass(InvalidIdentifier, ValueError)


# --- the identifier ----------------------------------------------------------------------------


def test_generate_identifier_format() -> None:
    for _ in range(200):
        identifier = generate_identifier()
        assert IDENTIFIER_RE.match(identifier), identifier
        assert luhn_is_valid(identifier[3:].replace("-", ""))
        assert normalize_identifier(identifier) == identifier
        assert format_identifier(identifier) == identifier


def test_generate_identifier_is_random() -> None:
    assert len({generate_identifier() for _ in range(1000)}) == 1000


@given(identifiers, st.booleans(), st.booleans())
def test_normalize_identifier_round_trips(identifier: str, lower: bool, prefix: bool) -> None:
    body = identifier[3:].replace("-", " ")
    typed = f"mp {body}" if prefix else body
    typed = typed.lower() if lower else typed
    assert normalize_identifier(f" {typed} ") == identifier
    assert normalize_identifier(identifier.replace("-", "")) == identifier


def test_normalize_identifier_refusals() -> None:
    identifier = generate_identifier()
    with pytest.raises(InvalidIdentifier, match="MP-XXX-XXX-XXX"):
        normalize_identifier(identifier[:-1])
    with pytest.raises(InvalidIdentifier, match="MP-XXX-XXX-XXX"):
        normalize_identifier("")
    with pytest.raises(InvalidIdentifier, match="« O »"):
        normalize_identifier(identifier[:-1] + "O")
    body = identifier[3:].replace("-", "")
    wrong = ALPHABET[(ALPHABET.index(body[-1]) + 7) % 30]
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalize_identifier(body[:-1] + wrong)
    assert str(excinfo.value) == (
        "L'identifiant saisi contient une faute de frappe : vérifiez-le sur l'acte."
    )


def test_code_is_not_accepted_as_identifier_and_vice_versa() -> None:
    with pytest.raises(InvalidIdentifier):
        normalize_identifier(generate_code())
    with pytest.raises(InvalidCode):
        normalize_code(generate_identifier())
