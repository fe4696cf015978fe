"""Reference data for synthetic Chinese names, phones and occupations (demo only).

Surname weights are per-mille shares from the Ministry of Public Security's 2020 surname
report, with the surnames common in Hubei (胡 熊 万 余 程 彭 汪) nudged up for a Wuhan
community. Given names follow the fashion of the birth cohort: a woman born in 1945 is
秀英 or 桂兰, a girl born in 2015 is 子涵 or 欣怡. Everything here is plain tuples, in a fixed
order, so that ``random.Random(seed)`` draws the same people on every machine.
"""

from __future__ import annotations

SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 712), ("李", 700), ("张", 674), ("刘", 510), ("陈", 461), ("杨", 322),
    ("黄", 245), ("赵", 219), ("吴", 205), ("周", 199), ("徐", 163), ("孙", 152),
    ("胡", 200), ("朱", 129), ("马", 120), ("郭", 118), ("何", 117), ("高", 100),
    ("林", 100), ("罗", 87), ("郑", 78), ("梁", 75), ("谢", 72), ("宋", 64),
    ("唐", 62), ("许", 60), ("韩", 59), ("冯", 56), ("邓", 55), ("曹", 54),
    ("彭", 70), ("曾", 51), ("肖", 50), ("田", 49), ("董", 48), ("袁", 47),
    ("潘", 46), ("于", 45), ("蒋", 44), ("蔡", 43), ("余", 60), ("杜", 41),
    ("叶", 40), ("程", 55), ("苏", 38), ("魏", 37), ("吕", 36), ("丁", 35),
    ("任", 34), ("沈", 33), ("姚", 32), ("卢", 31), ("姜", 30), ("崔", 29),
    ("钟", 28), ("谭", 27), ("陆", 26), ("汪", 45), ("范", 24), ("金", 23),
    ("石", 22), ("廖", 21), ("贾", 20), ("夏", 22), ("付", 17), ("方", 16),
    ("白", 15), ("邹", 14), ("孟", 13), ("熊", 80), ("秦", 12), ("邱", 12),
    ("江", 12), ("尹", 11), ("薛", 11), ("段", 10), ("雷", 12), ("侯", 10),
    ("龙", 10), ("史", 10), ("陶", 9), ("黎", 9), ("贺", 9), ("顾", 9),
    ("毛", 9), ("郝", 8), ("龚", 10), ("邵", 8), ("万", 40), ("钱", 8),
)  # fmt: skip

# Given names by birth cohort and sex: (two-character names, one-character names, share of
# one-character names). One-character names peaked among people born in the 1960s–90s.
GivenNamePool = tuple[tuple[str, ...], tuple[str, ...], float]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_OLD_M: GivenNamePool = (
    _words("建国 国庆 建华 建军 国强 志强 德明 福生 永康 树林 长青 保国 振华 文华 玉成 "
          "国华 志远 德胜 洪涛 家和 世忠 金生 满堂 有福 庆丰 文忠 光明 卫国 援朝 跃进"),
    tuple("明华军林生福忠德山海"),
    0.15,
)  # fmt: skip
_OLD_F: GivenNamePool = (
    _words("秀英 桂英 秀兰 玉兰 桂兰 淑珍 凤英 玉珍 秀珍 淑英 玉梅 凤兰 桂芳 美兰 玉芳 "
          "秀云 桂珍 翠花 素芬 淑华 月娥 金凤 桂香 兰英 春兰 素珍 玉英 秀芳 爱华 冬梅"),
    tuple("英兰珍芳华梅琴凤"),
    0.15,
)  # fmt: skip
_MID_M: GivenNamePool = (
    _words("建平 建伟 卫东 红军 海涛 志刚 国平 建新 晓明 永刚 立新 东升 文斌 红兵 小平 "
          "志勇 国栋 建林 海峰 俊峰 春生 建设 向阳 学军 海波 金龙 晓军 振宇 卫平 德军"),
    tuple("伟勇军强刚斌平辉明健波涛峰华毅"),
    0.35,
)  # fmt: skip
_MID_F: GivenNamePool = (
    _words("丽华 红梅 海燕 春梅 晓燕 玉红 秀梅 红霞 丽萍 美华 小红 爱萍 建英 桂红 丽君 "
          "晓红 艳红 丽娟 凤霞 雪梅 卫红 春燕 秀琴 金花 晓梅 丽琴 新华 红英 彩霞 亚萍"),
    tuple("丽艳红敏燕霞静芳娟玲萍英梅华琴"),
    0.35,
)  # fmt: skip
_YOUNG_M: GivenNamePool = (
    _words("志强 文杰 晓东 俊杰 家豪 晓峰 振宇 思远 鹏飞 子健 天宇 海洋 晓龙 晨阳 志伟 "
          "宏伟 明辉 伟杰 嘉伟 鑫磊 宇航 浩东 佳豪 博文 少华 亚军 小龙 文博 俊宇 建波"),
    tuple("磊涛鹏超杰浩斌俊帅鑫伟宇晨亮凯阳勇飞洋旭"),
    0.30,
)  # fmt: skip
_YOUNG_F: GivenNamePool = (
    _words("婷婷 丽娟 晓丽 雪梅 佳慧 静怡 晓雪 丹丹 倩倩 思雨 佳琪 梦婷 雅琴 晓琳 莉莉 "
          "慧敏 文静 欣然 琳琳 亚楠 晶晶 月琴 小燕 秀娟 艳芳 佳佳 诗雨 雪莹 宁宁 媛媛"),
    tuple("婷静敏丹雪倩颖琳莉洁娜慧璐蕾欣悦妍晶瑶佳"),
    0.30,
)  # fmt: skip
_NEW_M: GivenNamePool = (
    _words("浩然 子轩 宇轩 梓豪 俊熙 浩宇 子豪 宇航 皓轩 一鸣 子墨 沐宸 奕辰 宇泽 博文 "
          "梓睿 俊杰 思源 嘉懿 铭泽 天佑 睿泽 明轩 煜城 景行 承泽 锦程 嘉树 知远 逸凡"),
    tuple("睿轩泽宇航昊铭哲恒骏然晨"),
    0.12,
)  # fmt: skip
_NEW_F: GivenNamePool = (
    _words("子涵 欣怡 梓涵 诗涵 雨涵 一诺 可欣 梦瑶 语桐 若汐 欣妍 思彤 佳怡 雨桐 梓萱 "
          "诗琪 雨欣 紫涵 芷若 艺涵 依诺 沐瑶 书瑶 婉清 清妍 语嫣 安琪 乐瑶 梓琪 思琪"),
    tuple("涵悦萱琪妍彤瑶怡菲蕊"),
    0.12,
)  # fmt: skip


def given_name_pool(birth_year: int, sex: str) -> GivenNamePool:
    male = sex == "M"
    if birth_year < 1960:
        return _OLD_M if male else _OLD_F
    if birth_year < 1980:
        return _MID_M if male else _MID_F
    if birth_year < 2000:
        return _YOUNG_M if male else _YOUNG_F
    return _NEW_M if male else _NEW_F


# Mainland mobile prefixes of the three operators (no virtual-operator or IoT ranges).
MOBILE_PREFIXES: tuple[str, ...] = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199"
)

# Occupation categories of the basic public-health record form, weighted for an urban
# community; retirees are "离退休".
OCCUPATIONS: tuple[tuple[str, int], ...] = (
    ("办事人员", 18),
    ("商业服务业人员", 20),
    ("工人", 14),
    ("专业技术人员", 14),
    ("个体经营者", 9),
    ("企业管理人员", 6),
    ("自由职业者", 6),
    ("无业人员", 6),
    ("国家公务员", 3),
    ("农民", 2),
    ("现役军人", 1),
)
RETIRED = "离退休"
STUDENT = "学生"

# Disability types (values of residents.models.Disability), weighted after the second
# national sample survey on disability (2006).
DISABILITIES: tuple[tuple[str, int], ...] = (
    ("physical", 29),
    ("hearing", 24),
    ("multiple", 16),
    ("visual", 14),
    ("mental", 9),
    ("intellectual", 8),
)
