"""Words for the codes statistics are keyed by (English, with the plans' Chinese terms)."""

from __future__ import annotations

from collections.abc import Sequence

from service.models.enums import Category, EmploymentForm, PriorityGroup
from service.models.identifiers import district_name

CATEGORY = {
    Category.visual: "Visual (视力)",
    Category.hearing: "Hearing (听力)",
    Category.speech: "Speech (言语)",
    Category.physical: "Physical (肢体)",
    Category.intellectual: "Intellectual (智力)",
    Category.mental: "Mental (精神)",
    Category.multiple: "Multiple (多重)",
}
FORM = {
    EmploymentForm.quota: "Quota employment (按比例)",
    EmploymentForm.concentrated: "Concentrated (集中)",
    EmploymentForm.sheltered: "Sheltered (辅助性)",
    EmploymentForm.public_welfare: "Public-welfare post (公益性岗位)",
    EmploymentForm.self_employed: "Self-employed (自主创业)",
    EmploymentForm.flexible: "Flexible / platform (灵活就业)",
    EmploymentForm.home_based: "Home-based (居家)",
    EmploymentForm.rural_production: "Rural production (农村种养加)",
    EmploymentForm.blind_massage: "Blind massage (盲人按摩)",
    EmploymentForm.dispatch: "Labour dispatch (劳务派遣)",
    EmploymentForm.out_of_area: "Out of the area (异地)",
}
GROUP = {
    PriorityGroup.graduate: "Graduates",
    PriorityGroup.rural: "Rural hukou",
    PriorityGroup.hard_to_employ: "Hard to employ",
    PriorityGroup.poverty_monitoring: "Under poverty monitoring",
    PriorityGroup.severe_disability: "Severe disability",
    PriorityGroup.blind: "Blind",
}
STAGE = {
    "referred": "Referred",
    "interviewed": "Interviewed",
    "hired": "Hired",
    "retained": "Still employed after 6 months",
}
SERVICE = {
    "basic_info_check": "Basic information check (基础信息核对)",
    "ability_assessment": "Ability assessment",
    "needs_registration": "Needs registration",
    "employment_service": "Employment service",
}
# The order a dimension's values are shown in (others: sorted by code).
ORDER: dict[str, Sequence[str]] = {
    "category": [c.value for c in Category],
    "form": [f.value for f in EmploymentForm],
    "priority_group": [g.value for g in PriorityGroup],
    "stage": list(STAGE),
    "service": list(SERVICE),
    "grade": ["1", "2", "3", "4"],
}
_WORDS: dict[str, dict[str, str]] = {
    "category": {k.value: v for k, v in CATEGORY.items()},
    "form": {k.value: v for k, v in FORM.items()},
    "priority_group": {k.value: v for k, v in GROUP.items()},
    "stage": STAGE,
    "service": SERVICE,
}


def district_label(code: str) -> str:
    name = district_name(code)
    return f"{name} ({code})" if name else code


def label(dimension: str, value: str) -> str:
    """How a cell's key reads in the report."""
    if dimension == "district":
        return district_label(value)
    if dimension == "grade":
        return f"Grade {value}"
    return _WORDS.get(dimension, {}).get(value, value.replace("_", " "))


def ordered(dimension: str, values: set[str]) -> list[str]:
    order = {v: i for i, v in enumerate(ORDER.get(dimension, ()))}
    return sorted(values, key=lambda v: (order.get(v, len(order)), v))
