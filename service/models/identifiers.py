"""Identifier checks: resident ID (GB 11643), disability certificate, credit code, districts.

Checksums and the GB/T 2260 division list come from python-stdnum.  Its ``cn.uscc``
demands digits in the first eight characters, which real codes break (registration
authority and body-type codes may be letters, e.g. ``Y1``), so the credit-code format is
checked here and only the check character is computed by stdnum.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic_core import PydanticCustomError
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from service.models.enums import Category, Sex

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_SHAPE = re.compile(rf"[{USCC_ALPHABET}]{{2}}[0-9]{{6}}[{USCC_ALPHABET}]{{10}}")
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_DISTRICT_SHAPE = re.compile(r"[0-9]{6}")
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9A-Z]")


def _error(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message)


def validate_id_number(value: str) -> str:
    """A resident ID number: length, digits, checksum, real birth date, real division."""
    number = ric.compact(value)
    if len(number) == 18 and not _ID_SHAPE.fullmatch(number):  # stdnum takes any digit
        raise _error(
            "id_number_format", "an ID number is 17 digits and a check digit or X"
        ) from None
    try:
        return ric.validate(number)
    except InvalidLength:
        raise _error("id_number_length", "an ID number has 18 characters") from None
    except InvalidFormat:
        raise _error(
            "id_number_format", "an ID number is 17 digits and a check digit or X"
        ) from None
    except InvalidChecksum:
        raise _error("id_number_checksum", "the ID number's check character is wrong") from None
    except (InvalidComponent, LookupError):
        # stdnum raises KeyError for a county code missing from its table.
        try:
            birth = ric.get_birth_date(number)
        except (ValidationError, LookupError, ValueError):
            raise _error("id_number_birth_date", "the ID number holds no real birth date") from None
        # stdnum wants the division in force in the birth year, but numbers were first
        # issued in 1984-85 with the divisions of that time: someone born in 1968 in
        # Yangquan holds a 1983 code.  A division in force at any time since birth is real.
        if _division_in_force_since(number[:6], birth.year):
            return number
        raise _error(
            "id_number_division",
            "the ID number's first six digits are not a GB/T 2260 division "
            "in force since the birth year",
        ) from None


@dataclass(frozen=True)
class IdFacts:
    birth_date: dt.date
    sex: Sex
    birth_division: str


def id_facts(number: str) -> IdFacts:
    """Birth date, sex (odd sequence digit = male) and division of a valid ID number."""
    return IdFacts(
        birth_date=ric.get_birth_date(number),
        sex=Sex.male if int(number[16]) % 2 else Sex.female,
        birth_division=number[:6],
    )


def certificate_problem(
    certificate: str, id_number: str, category: Category, grade: int
) -> str | None:
    """Why a disability certificate number disagrees with its holder, or None."""
    cert = certificate.strip().upper()
    if len(cert) != 20:
        return "a certificate number has 20 characters: ID number, category digit, grade digit"
    if cert[:18] != id_number:
        return "the certificate number does not begin with the holder's ID number"
    if cert[18] != str(category.digit):
        return (
            f"the certificate's category digit {cert[18]} does not match category "
            f"'{category.value}' ({category.digit})"
        )
    if cert[19] != str(grade):
        return f"the certificate's grade digit {cert[19]} does not match grade {grade}"
    return None


def normalise_certificate(value: str) -> str:
    cert = value.strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X][0-9]{2}", cert):
        raise _error(
            "certificate_format",
            "a certificate number is the 18-character ID number and two digits",
        )
    return cert


@dataclass(frozen=True)
class CreditCode:
    code: str
    warning: str | None


def organisation_code_valid(code9: str) -> bool:
    """GB 11714 organisation code check (positions 9-17 of a credit code)."""
    values = [int(c, 36) for c in code9[:8]]
    check = 11 - sum(v * w for v, w in zip(values, _ORG_CODE_WEIGHTS, strict=True)) % 11
    expected = {10: "X", 11: "0"}.get(check, str(check))
    return code9[8] == expected


def validate_credit_code(value: str) -> CreditCode:
    """A unified social credit code (GB 32100-2015).

    Early pilot codes fail the check character only: accepted with a warning.  A wrong
    shape, or a broken embedded organisation code, is rejected.
    """
    code = uscc.compact(value)
    if len(code) != 18:
        raise _error("credit_code_length", "a unified social credit code has 18 characters")
    if not _USCC_SHAPE.fullmatch(code):
        raise _error(
            "credit_code_format",
            "a credit code uses 0-9 and A-Y without I, O, S, V, Z; "
            "characters 3-8 are a division code",
        )
    if not organisation_code_valid(code[8:17]):
        raise _error(
            "credit_code_organisation",
            "the embedded organisation code (characters 9-17) fails its check",
        )
    if uscc.calc_check_digit(code) != code[17]:
        return CreditCode(code, "checksum_mismatch_pilot_code")
    return CreditCode(code, None)


@lru_cache(maxsize=8192)
def _division_spans(code: str) -> tuple[tuple[int | None, int | None, str], ...]:
    """(first year, last year, name) of each GB/T 2260 assignment of a six-digit code."""
    if not _DISTRICT_SHAPE.fullmatch(code):
        return ()
    parts = numdb.get("cn/loc").info(code)
    info = {k: v for _, props in parts for k, v in props.items()}
    spans: list[tuple[int | None, int | None, str]] = []
    for entry in (info.get("county") or "").split(","):
        if not entry:
            continue
        if not entry.startswith("["):
            spans.append((None, None, entry))
            continue
        span, name = entry[1:].split("]", 1)
        start, end = span.split("-")
        spans.append((int(start) if start else None, int(end) if end else None, name))
    return tuple(spans)


def _division_in_force_since(code: str, year: int) -> bool:
    return any(end is None or end >= year for _, end, _ in _division_spans(code))


def district_name(code: str) -> str | None:
    """The name of a GB/T 2260 division currently in force, or None."""
    return next((name for _, end, name in _division_spans(code) if end is None), None)


def validate_district_code(value: str) -> str:
    """A county-level division in force (a district, county or county-level city)."""
    if not _DISTRICT_SHAPE.fullmatch(value):
        raise _error("district_code_format", "a district code is six digits (GB/T 2260)")
    if district_name(value) is None:
        raise _error("district_code_unknown", "no GB/T 2260 division in force has this code")
    if value.endswith("00"):
        raise _error(
            "district_code_not_county",
            "give the county-level division (e.g. 140302), not the city or province",
        )
    return value


def mask_id_number(number: str) -> str:
    """Keep the division and the last four: birth date and sequence are hidden."""
    return number[:6] + "*" * 8 + number[-4:]


def mask_certificate(cert: str) -> str:
    return cert[:6] + "*" * 10 + cert[-4:]
