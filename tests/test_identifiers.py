"""Identifier checks, masking, encryption and the domain-rule derivations (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic_core import PydanticCustomError
from stdnum.cn import uscc

from service.models.crypto import Cipher, DecryptionError
from service.models.enums import Category, Education, PriorityGroup, Sex
from service.models.identifiers import (
    certificate_problem,
    district_name,
    id_facts,
    mask_certificate,
    mask_id_number,
    validate_credit_code,
    validate_district_code,
    validate_id_number,
)
from service.profile import age_on, is_working_age, priority_groups
from service.rules import DomainRules, RetirementTrack
from tests.factories import id_number


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "360426199101010071", "11010519491231002x"]
)
def test_valid_id_numbers_are_accepted_upper_case(number: str) -> None:
    assert validate_id_number(number) == number.upper()


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002Y", "id_number_checksum"),
        ("1101051949123100AX", "id_number_format"),
        ("110105194912310021", "id_number_checksum"),
        ("1101051949123100", "id_number_length"),
        (id_number(dt.date(1990, 1, 1), division="999999"), "id_number_division"),
    ],
)
def test_invalid_id_numbers_say_why(number: str, code: str) -> None:
    with pytest.raises(PydanticCustomError) as caught:
        validate_id_number(number)
    assert caught.value.type == code


def test_impossible_birth_date_is_named() -> None:
    body = "14030219950230123"  # 30 February
    from stdnum.cn import ric

    with pytest.raises(PydanticCustomError) as caught:
        validate_id_number(body + ric.calc_check_digit(body + "0"))
    assert caught.value.type == "id_number_birth_date"


def test_id_facts_and_masks() -> None:
    facts = id_facts("11010519491231002X")
    assert facts.birth_date == dt.date(1949, 12, 31)
    assert facts.sex is Sex.female  # sequence 002: even
    assert id_facts("360426199101010071").sex is Sex.male
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_certificate("11010519491231002X12") == "110105**********2X12"


def test_certificate_must_agree_with_id_category_and_grade() -> None:
    number = "11010519491231002X"
    assert certificate_problem(number + "12", number, Category.visual, 2) is None
    assert "begin" in (
        certificate_problem("360426199101010071" + "12", number, Category.visual, 2) or ""
    )
    assert "category" in (certificate_problem(number + "22", number, Category.visual, 2) or "")
    assert "grade" in (certificate_problem(number + "13", number, Category.visual, 2) or "")
    assert certificate_problem(number + "72", number, Category.multiple, 2) is None


def _with_check(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17 + "0")


def test_credit_codes() -> None:
    assert validate_credit_code("91110000600037341L").warning is None
    assert validate_credit_code("91110000600037341M").warning == "checksum_mismatch_pilot_code"
    # Letters in the first two characters are legal, though stdnum's uscc rejects them.
    lettered = _with_check("Y1110000600037341")
    assert validate_credit_code(lettered).warning is None
    for bad, code in [
        ("9111000060003734", "credit_code_length"),
        ("91110000600O37341L", "credit_code_format"),
        ("91110000600037351L", "credit_code_organisation"),
        ("9111A000600037341L", "credit_code_format"),
    ]:
        with pytest.raises(PydanticCustomError) as caught:
            validate_credit_code(bad)
        assert caught.value.type == code, bad


def test_district_codes_come_from_gb2260() -> None:
    assert district_name("140302") == "城区"
    assert district_name("140300") == "阳泉市"
    assert district_name("999999") is None
    with pytest.raises(PydanticCustomError):
        validate_district_code("999999")
    with pytest.raises(PydanticCustomError):
        validate_district_code("14030")
    with pytest.raises(PydanticCustomError) as caught:
        validate_district_code("140300")
    assert caught.value.type == "district_code_not_county"


def test_id_numbers_of_people_born_before_their_division_existed() -> None:
    # Numbers were issued from 1984 with the divisions of the day: a Yangquan resident
    # born in 1968 holds 140302, a code in force since 1983.
    assert validate_id_number(id_number(dt.date(1968, 1, 1), 1))
    # 110103 (崇文区) was abolished in 2010: fine for a person born in 1990, not in 2012.
    assert validate_id_number(id_number(dt.date(1990, 1, 1), 1, division="110103"))
    with pytest.raises(PydanticCustomError):
        validate_id_number(id_number(dt.date(2012, 1, 1), 1, division="110103"))


def test_encryption_round_trip_binds_context_and_survives_rotation() -> None:
    old = Cipher("old-secret-0123456789-0123456789-abc")
    token = old.encrypt("11010519491231002X", "id_number")
    assert "11010519491231002X" not in token
    assert old.decrypt(token, "id_number") == "11010519491231002X"
    with pytest.raises(DecryptionError):
        old.decrypt(token, "certificate")
    rotated = Cipher(
        "new-secret-0123456789-0123456789-xyz",
        old_secrets=("old-secret-0123456789-0123456789-abc",),
    )
    assert rotated.decrypt(token, "id_number") == "11010519491231002X"
    assert not rotated.is_current(token)
    with pytest.raises(DecryptionError):
        Cipher("another-secret-0123456789-0123456789").decrypt(token, "id_number")
    assert (
        old.lookup_hash("x", "id") == old.lookup_hash("x", "id") != rotated.lookup_hash("x", "id")
    )


RULES = DomainRules()


@pytest.mark.parametrize(
    ("sex", "birth", "years", "months"),
    [
        ("male", dt.date(1964, 12, 15), 60, 0),
        ("male", dt.date(1965, 1, 15), 60, 1),
        ("male", dt.date(1965, 5, 1), 60, 2),
        ("male", dt.date(1966, 1, 1), 60, 4),
        ("male", dt.date(1976, 9, 1), 63, 0),
        ("male", dt.date(1990, 1, 1), 63, 0),
        ("female", dt.date(1970, 1, 1), 55, 1),
        ("female", dt.date(1981, 9, 1), 58, 0),
    ],
)
def test_retirement_reform(sex: str, birth: dt.date, years: int, months: int) -> None:
    retire = RULES.retirement[sex].retirement_date(birth)  # type: ignore[index]
    total = (retire.year - birth.year) * 12 + retire.month - birth.month
    assert (total // 12, total % 12) == (years, months)


def test_female_worker_track_is_configurable() -> None:
    track = RetirementTrack(
        base_age=50, cohort_start=dt.date(1975, 1, 1), step_months=2, max_delay_months=60
    )
    assert track.retirement_date(dt.date(1975, 3, 10)) == dt.date(2025, 5, 10)  # 50y2m
    assert track.retirement_date(dt.date(1984, 12, 1)) == dt.date(2039, 12, 1)  # 55y


def test_working_age() -> None:
    day = dt.date(2026, 11, 23)
    assert not is_working_age(dt.date(2011, 1, 1), Sex.male, day, RULES)  # 15
    assert is_working_age(dt.date(2010, 11, 23), Sex.male, day, RULES)  # 16 today
    assert not is_working_age(dt.date(1965, 3, 1), Sex.male, day, RULES)  # retired 2025-04
    assert is_working_age(dt.date(1966, 9, 1), Sex.male, day, RULES)  # retires at 60y7m
    assert is_working_age(dt.date(1972, 6, 1), Sex.female, day, RULES)  # retires 55y9m
    assert age_on(dt.date(2000, 11, 24), day) == 25


def test_priority_groups_are_derived() -> None:
    day = dt.date(2026, 11, 23)
    groups = priority_groups(
        education=Education.bachelor,
        graduation_date=dt.date(2024, 12, 1),
        hukou="rural",
        hard_to_employ=True,
        poverty_monitoring=True,
        category=Category.visual,
        grade=1,
        day=day,
        rules=RULES,
    )
    assert groups == list(PriorityGroup)
    none = priority_groups(
        education=Education.vocational,
        graduation_date=dt.date(2026, 7, 1),
        hukou="urban",
        hard_to_employ=False,
        poverty_monitoring=False,
        category=Category.hearing,
        grade=3,
        day=day,
        rules=RULES,
    )
    assert none == []
    old_graduate = priority_groups(
        education=Education.master,
        graduation_date=dt.date(2024, 11, 22),
        hukou="urban",
        hard_to_employ=False,
        poverty_monitoring=False,
        category=Category.physical,
        grade=4,
        day=day,
        rules=RULES,
    )
    assert old_graduate == []
