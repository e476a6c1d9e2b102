"""Valid, fictional identifiers: unified social credit codes and resident ID numbers."""

from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import ric, uscc

from service.models.enums import Category, EmployerKind
from service.models.identifiers import (
    USCC_ALPHABET,
    certificate_problem,
    organisation_code_valid,
    validate_credit_code,
    validate_id_number,
)

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Characters usable in the organisation-code part of a credit code (USCC alphabet).
_ORG_LETTERS = "".join(c for c in USCC_ALPHABET if c.isalpha())

# Registration authority + body type (GB 32100 positions 1-2) by employer kind.
KIND_PREFIX: dict[EmployerKind, str] = {
    EmployerKind.government_organ: "11",
    EmployerKind.public_institution: "12",
    EmployerKind.soe: "91",
    EmployerKind.private: "91",
    EmployerKind.platform: "91",
    EmployerKind.sheltered_workshop: "52",  # 民办非企业单位 (social service body)
    EmployerKind.concentrated_employer: "91",
    EmployerKind.blind_massage: "92",
    EmployerKind.social_organization: "51",  # 社会团体
    EmployerKind.individual_business: "92",
}


def organisation_check(code8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code."""
    total = sum(int(c, 36) * w for c, w in zip(code8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def organisation_code(rng: random.Random, *, new_style: bool) -> str:
    """Nine characters: eight drawn, one check.  Enterprises registered since the 2015
    reform carry codes beginning "MA"; older bodies have eight digits."""
    if new_style:
        body = "MA" + "".join(rng.choice("0123456789" + _ORG_LETTERS) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    code9 = body + organisation_check(body)
    assert organisation_code_valid(code9)
    return code9


def credit_code(rng: random.Random, prefix: str, division: str, *, new_style: bool) -> str:
    """A unified social credit code that passes every check of ``validate_credit_code``."""
    first17 = prefix + division + organisation_code(rng, new_style=new_style)
    code = first17 + uscc.calc_check_digit(first17)
    result = validate_credit_code(code)
    if result.warning is not None:  # pragma: no cover - a bug in this generator
        raise AssertionError(f"generated credit code {code} warns {result.warning}")
    return code


def id_number(division: str, birth: dt.date, sequence: int) -> str:
    """A GB 11643 resident ID number; ``sequence`` 1-999 (odd male, even female)."""
    first17 = f"{division}{birth:%Y%m%d}{sequence:03d}"
    number = first17 + ric.calc_check_digit(first17 + "0")  # stdnum ignores the 18th
    validate_id_number(number)
    return number


def sequence_for(rng: random.Random, male: bool) -> int:
    """A 3-digit sequence whose parity gives the sex (odd male, even female)."""
    seq = rng.randrange(1, 999)
    if (seq % 2 == 1) != male:
        seq += 1
    return seq


def certificate_number(id_no: str, category: Category, grade: int) -> str:
    """Second-generation disability certificate: ID number + category digit + grade."""
    cert = f"{id_no}{category.digit}{grade}"
    assert certificate_problem(cert, id_no, category, grade) is None
    return cert
