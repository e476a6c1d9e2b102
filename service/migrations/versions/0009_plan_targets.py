"""plan targets: the four seed plans' targets (Huangshi, Liaocheng, Yangquan, Shanxi)

Revision ID: 0009_plan_targets
Revises: 0008_statistics
Create Date: 2026-12-04 06:40:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_plan_targets"
down_revision: str | None = "0008_statistics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMP = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
HUANGSHI = ("huangshi-2022-2024", "420200", 2022, 2024)  # 黄政办发〔2022〕60号
LIAOCHENG = ("liaocheng-2022-2024", "371500", 2022, 2024)  # 2023-06-15, under 鲁政办发〔2022〕20号
YANGQUAN = ("yangquan-2023-2024", "140300", 2023, 2024)  # 2023-08-07, to the end of 2024
SHANXI = ("shanxi-2025-2027", "140000", 2025, 2027)  # 晋政办发〔2025〕35号

# (id, plan, metric, target, note): rates are fractions (0.55 = 55 %).
TARGETS = [
    (
        "tgt-huangshi-2022-new-employment",
        HUANGSHI,
        "new_employment",
        2500,
        "2022-2024年共实现全市城乡新增残疾人就业2500人",
    ),
    (
        "tgt-huangshi-2022-rural-employment",
        HUANGSHI,
        "new_employment_rural",
        1500,
        "帮扶带动1500名农村残疾人就业 (measured as new job starts of people with rural hukou)",
    ),
    (
        "tgt-liaocheng-2022-new-employment",
        LIAOCHENG,
        "new_employment",
        6000,
        "到2024年，全市实现城乡新增残疾人就业6000人 (the plan implements Shandong's 2022-2024 "
        "three-year action; read as 2022-2024)",
    ),
    (
        "tgt-liaocheng-2022-employment-rate",
        LIAOCHENG,
        "employment_rate_working_age_certified",
        0.55,
        "就业年龄段持证残疾人就业率达到55%以上 (by the end of 2024)",
    ),
    (
        "tgt-liaocheng-2022-sheltered",
        LIAOCHENG,
        "sheltered_employment",
        1000,
        "依托“如康家园”帮助不少于1000名残疾人实现辅助性就业",
    ),
    (
        "tgt-yangquan-2023-employment-rate",
        YANGQUAN,
        "employment_rate_able_to_work",
        0.70,
        "到2024年底，全市城乡有劳动能力的残疾人就业率力争达到70%",
    ),
    (
        "tgt-yangquan-2023-public-welfare-share",
        YANGQUAN,
        "public_welfare_post_share",
        0.05,
        "政府和街道增加、设置公益性岗位时……安排残疾人的岗位比例不低于5% (share of the "
        "public-welfare posts set up that go to people with disabilities)",
    ),
    (
        "tgt-yangquan-2023-training",
        YANGQUAN,
        "trained_person_times",
        400,
        "分层次开展不同等级职业技能培训，每年培训不少于400人(次)",
    ),
    (
        "tgt-yangquan-2023-rural-training",
        YANGQUAN,
        "rural_practical_training_person_times",
        60,
        "每年组织开展农村困难残疾人实用技术培训不少于60人次",
    ),
    (
        "tgt-shanxi-2025-fairs",
        SHANXI,
        "fairs_held",
        1,
        "各地……每年至少组织一次助残就业专场招聘活动和雇主培训 (each locality, every year)",
    ),
    (
        "tgt-shanxi-2025-training",
        SHANXI,
        "trained_person_times",
        5000,
        "全省每年组织残疾人职业技能培训不少于5000人次",
    ),
    (
        "tgt-shanxi-2025-rural-training",
        SHANXI,
        "rural_practical_training_person_times",
        1000,
        "全省每年组织对不少于1000人次农村困难残疾人开展实用技术培训",
    ),
]

plan_target = sa.table(
    "plan_target",
    sa.column("id", sa.String),
    sa.column("plan", sa.String),
    sa.column("district_code", sa.String),
    sa.column("year_from", sa.Integer),
    sa.column("year_to", sa.Integer),
    sa.column("metric", sa.String),
    sa.column("target", sa.Float),
    sa.column("note", sa.String),
    sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.bulk_insert(
        plan_target,
        [
            {
                "id": ident,
                "plan": plan,
                "district_code": district,
                "year_from": first,
                "year_to": last,
                "metric": metric,
                "target": float(target),
                "note": note,
                "version": 1,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
            for ident, (plan, district, first, last), metric, target, note in TARGETS
        ],
    )


def downgrade() -> None:
    op.execute(plan_target.delete().where(plan_target.c.id.in_([ident for ident, *_ in TARGETS])))
