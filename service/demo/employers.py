"""The demo employers of Yangquan: every kind of employer, all names and figures fictional.

Staff and disabled staff give a mix of units above and below the 1.5 % quota; the
concentrated employers (福利企业) and blind massage centres meet their thresholds
(≥ 25 % and ≥ 10 disabled people; ≥ 5 for blind massage).
"""

from __future__ import annotations

from dataclasses import dataclass

# Shorthands for accessibility lists.
BASIC = ("step_free_access", "accessible_toilet")
OFFICE = (*BASIC, "adjustable_workstation")
PUBLIC = (*BASIC, "accessible_transport")


@dataclass(frozen=True)
class EmployerSpec:
    name: str
    kind: str
    district: str  # where it is (and where most of its vacancies are)
    staff: int
    disabled: int
    severe: int
    wage: int  # average annual wage, CNY
    access: tuple[str, ...]
    jobs: tuple[str, ...]  # job kind keys (service.demo.jobs)
    owner: str = "partner"  # role of the demo key that registers it
    posts: int | None = None  # established posts (organs, institutions)
    stage: str | None = None  # school stage (public institutions that are schools)
    city_level: bool = False  # registered with the city (division 140300)
    prefix: str | None = None  # credit-code body type when not the kind's default
    weight: int = 2  # how many extra vacancies it tends to post


E = EmployerSpec
EMPLOYERS: tuple[EmployerSpec, ...] = (
    # 机关 government organs: public-welfare posts and office work
    E("阳泉市人力资源和社会保障局", "government_organ", "140302", 186, 2, 0, 86000, PUBLIC,
      ("archive", "data_entry"), "counselor", posts=172, city_level=True, weight=1),
    E("阳泉市城区南山路街道办事处", "government_organ", "140302", 64, 1, 0, 79000, BASIC,
      ("pw_community", "pw_cleaning"), "counselor", posts=58),
    E("阳泉市郊区荫营镇人民政府", "government_organ", "140311", 58, 1, 0, 71000, BASIC,
      ("pw_community", "pw_cleaning"), "counselor", posts=55),
    E("盂县秀水镇人民政府", "government_organ", "140322", 72, 0, 0, 72000,
      ("step_free_access",), ("pw_cleaning", "pw_community"), "counselor", posts=66),
    # 事业单位 public institutions
    E("阳泉市图书馆", "public_institution", "140302", 85, 2, 1, 74000,
      (*BASIC, "screen_reader", "braille", "screen_magnifier"),
      ("library", "archive", "braille_proof"), "counselor", posts=78, city_level=True),
    E("阳泉市档案馆", "public_institution", "140302", 46, 1, 0, 76000, BASIC,
      ("archive", "data_entry"), "counselor", posts=42, city_level=True),
    E("阳泉市残疾人综合服务中心", "public_institution", "140302", 68, 9, 3, 70000,
      (*PUBLIC, "screen_reader", "sign_language", "visual_alerts", "braille",
       "assistive_devices"),
      ("phone_cs", "data_entry", "pw_community", "braille_proof"), "counselor", posts=60,
      city_level=True),
    E("阳泉市中医康复医院", "public_institution", "140303", 540, 4, 1, 82000, PUBLIC,
      ("medical_massage", "cashier", "cleaning"), "counselor", posts=480, city_level=True),
    E("盂县融媒体中心", "public_institution", "140322", 96, 1, 0, 68000, ("step_free_access",),
      ("voice", "audio_edit", "live_host"), "counselor", posts=90),
    E("平定县职业教育中心", "public_institution", "140321", 150, 2, 0, 69000, BASIC,
      ("library", "archive"), "counselor", posts=140, stage="vocational", weight=1),
    # 国有企业 state-owned enterprises
    E("阳泉华晟煤业集团有限责任公司", "soe", "140303", 8600, 96, 20, 89000, PUBLIC,
      ("data_entry", "phone_cs", "archive", "cleaning", "sorting", "accounting"),
      city_level=True, weight=5),
    E("阳泉晋泰新材料集团有限公司", "soe", "140311", 2300, 28, 6, 82000, OFFICE,
      ("assembly", "packaging", "sorting", "accounting"), city_level=True, weight=4),
    E("阳泉市城通公共交通集团有限公司", "soe", "140302", 1450, 19, 3, 71000, PUBLIC,
      ("phone_cs", "dispatch", "cleaning", "cashier"), city_level=True, weight=3),
    E("阳泉市暖城热力有限公司", "soe", "140302", 620, 6, 1, 76000, BASIC,
      ("phone_cs", "data_entry", "text_cs"), "counselor", city_level=True),
    E("阳泉市水务投资集团有限公司", "soe", "140311", 780, 12, 2, 74000, BASIC,
      ("phone_cs", "gardening", "accounting"), city_level=True),
    # 民营企业 private enterprises
    E("阳泉市恒信电子科技有限公司", "private", "140311", 260, 4, 0, 56000,
      (*OFFICE, "visual_alerts", "assistive_devices"), ("assembly", "packaging", "sorting"),
      weight=4),
    E("阳泉市晋味坊食品有限公司", "private", "140321", 180, 3, 1, 52000, BASIC,
      ("packaging", "sorting", "live_host", "cashier"), weight=3),
    E("阳泉市绿源园林绿化工程有限公司", "private", "140311", 95, 2, 0, 54000, (),
      ("gardening",), weight=2),
    E("阳泉市洁美物业管理有限公司", "private", "140302", 420, 9, 2, 50000, BASIC,
      ("cleaning", "phone_cs", "gardening"), weight=3),
    E("阳泉市诚信财税服务有限公司", "private", "140302", 38, 1, 0, 62000,
      (*OFFICE, "screen_reader"), ("accounting", "data_entry"), "counselor"),
    E("阳泉市万家福超市连锁有限公司", "private", "140302", 650, 8, 1, 51000, BASIC,
      ("cashier", "sorting", "packaging", "cleaning"), weight=4),
    E("平定县冠山砂器工艺品有限公司", "private", "140321", 75, 6, 2, 50000, BASIC,
      ("handicraft", "packaging", "live_host")),
    E("阳泉市鑫达物流有限公司", "private", "140311", 210, 2, 0, 60000, ("step_free_access",),
      ("sorting", "dispatch", "text_cs"), weight=3),
    E("盂县红香谷农业开发有限公司", "private", "140322", 64, 2, 0, 50000, (),
      ("packaging", "live_host", "gardening")),
    # 平台企业 platform / new-economy firms
    E("阳泉市云帆客服外包服务有限公司", "platform", "140302", 320, 41, 8, 58000,
      (*OFFICE, "screen_reader", "text_communication", "quiet_space"),
      ("online_cs", "phone_cs", "text_cs", "data_annotation"), weight=6),
    E("阳泉市晋货优选电子商务有限公司", "platform", "140321", 140, 7, 2, 56000, BASIC,
      ("live_host", "live_ops", "online_cs", "packaging"), weight=5),
    E("阳泉市快送即达同城配送有限公司", "platform", "140302", 380, 3, 0, 60000, BASIC,
      ("dispatch", "text_cs", "online_cs"), weight=4),
    E("阳泉市星光文化传媒有限公司", "platform", "140311", 55, 3, 1, 62000, BASIC,
      ("live_host", "live_ops", "audio_edit"), weight=3),
    E("阳泉市数智云联信息技术有限公司", "platform", "140302", 150, 12, 3, 66000,
      (*OFFICE, "text_communication", "quiet_space"),
      ("data_annotation", "data_entry", "online_cs"), weight=5),
    E("阳泉市声动有声文化传播有限公司", "platform", "140302", 32, 6, 4, 60000,
      (*BASIC, "screen_reader", "quiet_space"), ("voice", "audio_edit"), weight=3),
    # 辅助性就业机构 sheltered / auxiliary employment (民办非企业单位)
    E("阳泉市城区温馨家园辅助性就业中心", "sheltered_workshop", "140302", 46, 38, 22, 42000,
      (*OFFICE, "quiet_space", "assistive_devices"), ("handicraft", "packaging"), "counselor",
      weight=3),
    E("平定县阳光辅助性就业服务中心", "sheltered_workshop", "140321", 30, 24, 15, 40000,
      BASIC, ("handicraft", "packaging"), "counselor"),
    E("盂县暖心辅助性就业工坊", "sheltered_workshop", "140322", 25, 20, 12, 39000, BASIC,
      ("handicraft",), "counselor"),
    # 集中安置单位 concentrated-employment units (福利企业)
    E("阳泉市福康纸制品有限公司", "concentrated_employer", "140311", 86, 31, 9, 48000,
      (*OFFICE, "visual_alerts"), ("packaging", "assembly", "sorting"), weight=3),
    E("阳泉市同心服饰有限公司", "concentrated_employer", "140303", 120, 36, 8, 50000,
      (*OFFICE, "visual_alerts", "sign_language"), ("sewing", "packaging"), weight=3),
    E("盂县助残电子元件有限公司", "concentrated_employer", "140322", 64, 18, 5, 49000,
      (*OFFICE, "visual_alerts"), ("assembly", "packaging"), weight=2),
    # 盲人按摩机构 blind massage institutions
    E("阳泉市城区康明盲人按摩中心", "blind_massage", "140302", 14, 10, 7, 52000,
      ("braille", "step_free_access"), ("health_massage", "medical_massage"), weight=3),
    E("阳泉市矿区仁和盲人推拿馆", "blind_massage", "140303", 8, 6, 5, 48000, ("braille",),
      ("health_massage",)),
    E("阳泉市颐康盲人按摩保健有限公司", "blind_massage", "140311", 22, 15, 11, 56000,
      ("braille", "step_free_access", "accessible_toilet"),
      ("health_massage", "medical_massage"), prefix="91", weight=3),
    # 社会组织 social organisations
    E("阳泉市助残志愿者协会", "social_organization", "140302", 12, 4, 1, 48000, BASIC,
      ("phone_cs", "data_entry"), "counselor", city_level=True, weight=1),
    E("阳泉市城区阳光社会工作服务中心", "social_organization", "140302", 28, 3, 0, 52000,
      BASIC, ("pw_community", "text_cs"), "counselor", prefix="52", weight=1),
    E("阳泉市盲人协会", "social_organization", "140302", 6, 5, 4, 45000,
      ("braille", "screen_reader"), ("braille_proof", "voice"), "counselor",
      city_level=True, weight=1),
    # 个体工商户 individual businesses
    E("阳泉市城区老郭家常菜馆", "individual_business", "140302", 9, 1, 0, 46000, (),
      ("cashier", "cleaning"), weight=1),
    E("平定县冠山镇刘记手工艺品店", "individual_business", "140321", 4, 1, 1, 42000, (),
      ("handicraft", "live_host"), "counselor", weight=1),
    E("阳泉市矿区晓红打字复印部", "individual_business", "140303", 3, 1, 0, 40000,
      ("step_free_access",), ("data_entry",), weight=1),
)
