"""A family of simulated worlds: the project's story and others as plausible as it.

The scorer is trained before any outcome is recorded, so what it learns is what the
simulator assumes.  Each ``WorldSpec`` turns the knobs of that one story
(``simulator.Story``: which terms matter and how much, the sign of employer-kind effects,
an occupation-family term, commute tolerance by disability, noise, base rate, label
noise) and may change what the records *show* (skills reworded, abilities estimated from
category and grade instead of assessed) while the story reads the truth.

``TRAINING`` worlds are the only ones fitting and model selection ever see; ``HELD_OUT``
worlds (other magnitudes, other combinations, "far" mixtures, unseen rewordings) are
simulated from their own seeds and used for the report alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np

from service.matching.dimensions import estimate_abilities
from service.matching.offline.simulator import (
    KIND_EFFECT,
    Records,
    Simulation,
    Story,
    simulate,
)

Role = Literal["training", "held_out"]

# Two rephrasings of every skill the population uses: a counsellor or an employer may
# write either; an exact match (skill_cover) then fails and character n-grams share less.
# Training worlds reword with the first only; held-out worlds use both.
SYNONYMS: Final[dict[str, tuple[str, str]]] = {
    "Audition": ("Adobe音频软件", "音频工作站"),
    "Excel": ("电子表格", "表格处理"),
    "中医": ("传统医学", "中医药知识"),
    "串珠": ("珠饰编织", "手串制作"),
    "五笔": ("五笔字型", "字根输入"),
    "仓储": ("库房管理", "仓库作业"),
    "会计": ("财务核算", "记账"),
    "保健按摩": ("养生推拿", "足疗保健"),
    "保洁": ("环境卫生", "日常打扫"),
    "修剪": ("整枝", "剪枝造型"),
    "分拣": ("货物分类", "拣货"),
    "初级会计证": ("会计初级职称", "助理会计师资格"),
    "剪纸": ("窗花制作", "刻纸"),
    "剪辑": ("后期制作", "视频编辑"),
    "包装": ("打包", "装箱封箱"),
    "医疗按摩": ("康复理疗", "推拿治疗"),
    "园艺": ("花木栽培", "庭院种植"),
    "图书管理": ("图书借还", "馆藏整理"),
    "地图软件": ("导航应用", "电子地图"),
    "客服": ("客户服务", "售后接待"),
    "工单系统": ("工单平台", "服务请求处理"),
    "布艺": ("布料手作", "织物工艺"),
    "平车": ("平缝机", "工业缝纫机"),
    "手工": ("手作", "手工制作"),
    "手机支付": ("移动支付", "扫码收款"),
    "手语": ("手势交流", "聋人沟通"),
    "扫描": ("影像采集", "纸质资料数字化"),
    "扫码": ("条码枪", "条码识读"),
    "按摩": ("推揉", "理疗"),
    "推拿": ("正骨理筋", "经络调理"),
    "插件": ("元件插装", "DIP插装"),
    "播音": ("主持", "新闻朗诵"),
    "收银": ("结账", "收款"),
    "数据录入": ("信息输入", "资料键入"),
    "数据标注": ("样本标记", "图像打标"),
    "文字表达": ("书面沟通", "写作"),
    "普通话": ("国语", "标准发音"),
    "朗读": ("诵读", "有声阅读"),
    "档案管理": ("文档归档", "卷宗整理"),
    "沟通": ("交流", "与人交谈"),
    "清洁": ("卫生清扫", "除尘"),
    "点钞": ("清点现金", "验钞"),
    "物业服务": ("楼宇管理", "小区服务"),
    "电商运营": ("网店管理", "线上店铺运营"),
    "电子焊接": ("锡焊", "焊锡作业"),
    "电脑打字": ("键盘输入", "文字录入"),
    "电话沟通": ("接听来电", "呼叫中心"),
    "盲文": ("点字", "凸字阅读"),
    "直播": ("网络带货", "线上主播"),
    "短视频": ("抖音快手", "视频拍摄"),
    "社区服务": ("街道工作", "居民服务"),
    "穴位": ("经络", "腧穴"),
    "绿化养护": ("草坪维护", "苗木养护"),
    "缝纫": ("车缝", "裁缝"),
    "花卉种植": ("养花", "育苗"),
    "装卸": ("搬运", "上下货"),
    "装配": ("组装", "总装"),
    "读屏软件": ("屏幕朗读", "无障碍阅读工具"),
    "调度": ("派单", "运力协调"),
    "财务软件": ("用友金蝶", "记账软件"),
    "质检": ("品质检验", "品检"),
    "走访": ("入户探访", "上门回访"),
    "配音": ("声音演绎", "录音配声"),
    "音频剪辑": ("声音后期", "录音编辑"),
}
REVERSED_KINDS: Final = {k: -v for k, v in KIND_EFFECT.items()}
# Another pattern altogether: platforms and small businesses keep people (flexibility),
# state employers are neutral, supportive employers rarely lead on (−).
OTHER_KINDS: Final = {
    "government_organ": 0.0,
    "public_institution": -0.1,
    "soe": 0.05,
    "private": 0.1,
    "platform": 0.3,
    "sheltered_workshop": -0.3,
    "concentrated_employer": -0.2,
    "blind_massage": 0.2,
    "social_organization": 0.0,
    "individual_business": 0.25,
}


@dataclass(frozen=True)
class WorldSpec:
    name: str
    role: Role
    seed_offset: int  # the world's seed is the training seed plus this
    assumes: str  # one sentence for the report
    story: Story = field(default_factory=Story)
    reword: float = 0.0  # share of skill mentions (either side) written another way
    reword_variants: int = 1  # how many of the rephrasings may be used (1 or 2)
    unassessed: float = 0.0  # share of seekers whose abilities are estimated

    def observe(
        self, rng: np.random.Generator, seekers: Records, vacancies: Records
    ) -> tuple[Records, Records]:
        """The records as the service sees them in this world."""
        if self.reword > 0:
            seekers = [{**r, "skills": self._reworded(rng, r["skills"])} for r in seekers]
            vacancies = [{**r, "skills": self._reworded(rng, r["skills"])} for r in vacancies]
        if self.unassessed > 0:
            out = []
            for r in seekers:
                if rng.random() < self.unassessed:
                    abilities, estimated = estimate_abilities(r["category"], r["grade"], {})
                    r = {**r, "abilities": abilities, "estimated": estimated}
                out.append(r)
            seekers = out
        return seekers, vacancies

    def _reworded(self, rng: np.random.Generator, skills: list[str]) -> list[str]:
        said = [
            SYNONYMS[s][int(rng.integers(self.reword_variants))]
            if s in SYNONYMS and rng.random() < self.reword
            else s
            for s in skills
        ]
        return list(dict.fromkeys(said))

    def simulate(
        self, seed: int, n_seekers: int, n_vacancies: int, pairs_per_seeker: int
    ) -> Simulation:
        changes_records = self.reword > 0 or self.unassessed > 0
        return simulate(
            seed + self.seed_offset,
            n_seekers,
            n_vacancies,
            pairs_per_seeker,
            knobs=self.story,
            observe=self.observe if changes_records else None,
        )


FAMILY: Final = {"skills": 0.5, "occupation": 1.8, "experience": 2.0}
BARRIERS: Final = {
    "headroom": 2.0,
    "strain": 2.0,
    "accommodations": 2.0,
    "skills": 0.7,
    "salary": 0.5,
}

WORLDS: Final[tuple[WorldSpec, ...]] = (
    # --- the training family ---------------------------------------------------------
    WorldSpec("baseline", "training", 0, "the project's story (simulator.py) as told"),
    WorldSpec(
        "occupation_experience",
        "training",
        101,
        "success follows the occupation family of the person's trades and grows with "
        "experience in it; skills count half, stated preferences 1.8×",
        Story(scale=FAMILY, family=0.9, family_experience=0.6),
    ),
    WorldSpec(
        "commute_by_disability",
        "training",
        102,
        "commuting costs 3× for people who walk with difficulty or cannot see, "
        "half for everyone else",
        Story(commute_reliant=3.0, commute_other=0.5),
    ),
    WorldSpec(
        "kind_reversed",
        "training",
        103,
        "every employer-kind effect has the opposite sign (state employers retain "
        "worse, platforms better; supportive employers −0.4 for severe disability)",
        Story(kind_effect=REVERSED_KINDS, supportive_severe=-0.4),
    ),
    WorldSpec(
        "reworded",
        "training",
        104,
        "half of all skill mentions are written another way (one rephrasing per skill)",
        reword=0.5,
    ),
    WorldSpec(
        "unassessed",
        "training",
        105,
        "half of the seekers have no assessment: their records carry the "
        "certificate's conservative estimate, the story their true abilities",
        unassessed=0.5,
    ),
    WorldSpec(
        "noisy_rare",
        "training",
        106,
        "success is rarer (base −2.5) and 10 % of outcomes are recorded wrongly",
        Story(base=-2.5, label_noise=0.1),
    ),
    WorldSpec(
        "barriers",
        "training",
        107,
        "capacity against demand decides (headroom, strain, accommodation risk 2×); "
        "skills 0.7×, pay 0.5×",
        Story(scale=BARRIERS),
    ),
    # --- held out: never fitted on, never used to choose anything --------------------
    WorldSpec("baseline_new_seed", "held_out", 201, "the project's story, a new population"),
    WorldSpec(
        "family_strong",
        "held_out",
        202,
        "occupation family and experience dominate more than in any training world "
        "(family 1.4, with experience 1.0; skills 0.3×, preferences 2.5×)",
        Story(
            scale={"skills": 0.3, "occupation": 2.5, "experience": 2.5},
            family=1.4,
            family_experience=1.0,
        ),
    ),
    WorldSpec(
        "reworded_heavy",
        "held_out",
        203,
        "80 % of skill mentions reworded, with rephrasings training never saw",
        reword=0.8,
        reword_variants=2,
    ),
    WorldSpec(
        "kinds_reversed_commute",
        "held_out",
        204,
        "employer-kind effects reversed at 0.7× and commute tolerance by disability "
        "(2.5× / 0.6×) together",
        Story(
            kind_effect={k: 0.7 * v for k, v in REVERSED_KINDS.items()},
            supportive_severe=-0.2,
            commute_reliant=2.5,
            commute_other=0.6,
        ),
    ),
    WorldSpec(
        "unassessed_noisy",
        "held_out",
        205,
        "70 % of seekers unassessed and 15 % of outcomes recorded wrongly",
        Story(label_noise=0.15),
        unassessed=0.7,
    ),
    WorldSpec(
        "common_success",
        "held_out",
        206,
        "success is common (base −1.2) and pay matters little (0.4×)",
        Story(base=-1.2, scale={"salary": 0.4}),
    ),
    WorldSpec(
        "pay_and_distance",
        "held_out",
        207,
        "pay 2.5× and commute 2× decide; skills 0.6×",
        Story(scale={"salary": 2.5, "commute": 2.0, "skills": 0.6}),
    ),
    WorldSpec(
        "far_family_reworded",
        "held_out",
        208,
        "far: family-driven (skills 0.4×, family 1.2 + 0.8 with experience), 60 % "
        "reworded, kinds reversed, 40 % unassessed, 10 % label noise, more noise",
        Story(
            scale={"skills": 0.4, "occupation": 2.0, "experience": 2.0},
            family=1.2,
            family_experience=0.8,
            kind_effect=REVERSED_KINDS,
            supportive_severe=-0.4,
            label_noise=0.1,
            noise_sd=0.8,
        ),
        reword=0.6,
        reword_variants=2,
        unassessed=0.4,
    ),
    WorldSpec(
        "far_barriers_commute",
        "held_out",
        209,
        "far: barriers 2.5×, commute 3.5× for transport-reliant people (0.3× "
        "others), rare success (base −2.8), another employer-kind pattern, employer "
        "culture 2×, 30 % reworded, 5 % label noise",
        Story(
            scale={"headroom": 2.5, "strain": 2.0, "accommodations": 2.5},
            base=-2.8,
            commute_reliant=3.5,
            commute_other=0.3,
            kind_effect=OTHER_KINDS,
            supportive_severe=0.0,
            employer_scale=2.0,
            label_noise=0.05,
        ),
        reword=0.3,
        reword_variants=2,
    ),
)
TRAINING: Final = tuple(w for w in WORLDS if w.role == "training")
HELD_OUT: Final = tuple(w for w in WORLDS if w.role == "held_out")
BY_NAME: Final = {w.name: w for w in WORLDS}
assert len(BY_NAME) == len(WORLDS)
assert len({w.seed_offset for w in WORLDS}) == len(WORLDS)
