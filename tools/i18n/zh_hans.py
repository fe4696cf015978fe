"""Fill the zh-Hans catalogue from the translations below.

Usage (from the repository root)::

    cd src/careloop && ../../.venv/bin/careloop makemessages -l zh_Hans --no-location --no-obsolete
    .venv/bin/python tools/i18n/zh_hans.py
    cd src/careloop && ../../.venv/bin/careloop compilemessages -l zh_Hans

The script is idempotent: it sets the header, writes every msgid it knows (singular and
plural entries alike; Chinese has a single plural form), clears "fuzzy" flags on entries
it translates, and lists msgids that still have no translation (exit status 1 if any).
Keys are msgids, or (msgctxt, msgid) tuples for strings with a context.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "src" / "careloop" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}|%%")

HEADER = {
    "Project-Id-Version": "CareLoop",
    "Language": "zh_Hans",
    "Language-Team": "CareLoop zh-Hans",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}

ZH: dict[str | tuple[str, str], str] = {
    # ---- core: errors, API, forms -------------------------------------------------------
    "The username or password is wrong.": "用户名或密码错误。",
    "This request was not made with an API token.": "此请求未使用 API 令牌。",
    "Please correct the marked fields.": "请修改标出的内容。",
    "Sign in, or send a valid API token.": "请登录，或提供有效的 API 令牌。",
    "The CSRF check failed: reload the page and try again.": "CSRF 校验失败：请刷新页面后重试。",
    "You may not do this.": "您无权进行此操作。",
    # core/api.py mirrors Django's form messages: keep Django's own zh_Hans wording
    # (django/conf/locale/zh_Hans) so API and form errors read the same.
    "This field is required.": "这个字段是必填项。",
    "This field is not accepted here.": "此处不接受这个字段。",
    "Enter a whole number.": "输入整数。",
    "Enter a valid date.": "输入一个有效的日期。",
    "Ensure this value is greater than or equal to %(limit_value)s.": "确保该值大于或等于%(limit_value)s。",
    "Ensure this value is less than or equal to %(limit_value)s.": "确保该值小于或等于%(limit_value)s。",
    "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).": "确保该变量包含不超过 %(limit_value)d 字符 (目前字符数 %(show_value)d)。",
    "Enter a valid value.": "输入一个有效的值。",
    "Core": "核心",
    "Too many failed logins. This account is locked for %(minutes)d minutes.": "登录失败次数过多，该账号已锁定 %(minutes)d 分钟。",
    "Action": "操作",
    "All actions": "全部操作",
    # core models
    "code": "编码",
    "name": "名称",
    "district": "区县",
    "community": "社区",
    "communities": "社区",
    "full name": "姓名",
    "user": "用户",
    "users": "用户",
    "API token": "API 令牌",
    "API tokens": "API 令牌",
    "success": "成功",
    "denied": "拒绝",
    "failure": "失败",
    "when": "时间",
    "actor id": "操作人 ID",
    "actor": "操作人",
    "role": "角色",
    "action": "操作",
    "object type": "对象类型",
    "object id": "对象 ID",
    "outcome": "结果",
    "from address": "来源地址",
    "detail": "详情",
    "audit event": "审计事件",
    "audit events": "审计事件",
    # roles
    "Resident": "居民",
    "Family doctor": "家庭医生",
    "Nurse": "护士",
    "Health manager": "健康管理师",
    "Triage nurse": "分诊护士",
    "Cashier": "收费员",
    "Cashier supervisor": "收费组长",
    "Finance auditor": "财务审核员",
    "Lab staff": "检验科人员",
    "Volunteer": "志愿者",
    "Volunteer coordinator": "志愿者协调员",
    "Complaints officer": "投诉专员",
    "Quality manager": "质控管理员",
    "Centre director": "中心主任",
    "Auditor": "审计员",
    "System administrator": "系统管理员",
    "Superuser": "超级管理员",
    # audit trail
    "Audit trail": "审计日志",
    "Who did what to which record, when and from where. The trail is append-only and hash-chained.": "记录谁在何时、从何处对哪条记录做了什么。审计日志只增不改，并以哈希链防篡改。",
    "Filter": "筛选",
    "%(counter)s event": "%(counter)s 条事件",
    "When": "时间",
    "Who": "操作人",
    "Record": "记录",
    "Outcome": "结果",
    "From address": "来源地址",
    "No events match.": "没有符合条件的事件。",
    # sign-in
    "Account locked": "账号已锁定",
    "If you have forgotten your password, ask the centre's system administrator to reset it.": "如果忘记了密码，请联系中心的系统管理员重置。",
    "Back to sign in": "返回登录",
    "Sign in": "登录",
    "The username or password is not right. Please try again.": "用户名或密码不正确，请重试。",
    "Username": "用户名",
    "Password": "密码",
    "For your safety, after %(limit)s wrong passwords in a row the account is locked for %(minutes)s minutes.": "为保障账号安全，连续输错密码 %(limit)s 次后，账号将被锁定 %(minutes)s 分钟。",
    "This account is disabled.": "该账号已停用。",
    "You may not revoke this token.": "您无权撤销此令牌。",
    # validators
    "An ID number has 18 characters: 17 digits, then a digit or X.": "身份证号共 18 位：前 17 位为数字，最后一位为数字或 X。",
    "The region code %(region)s is not a mainland province.": "地区码 %(region)s 不是有效的省级行政区代码。",
    "The birth date %(digits)s in the ID number is not a real date.": "身份证号中的出生日期 %(digits)s 不是有效日期。",
    "The birth date %(digits)s in the ID number is out of range.": "身份证号中的出生日期 %(digits)s 超出有效范围。",
    "The check digit of the ID number is wrong: please check each digit.": "身份证号的校验码不正确，请逐位核对。",
    "A mainland mobile number has 11 digits and starts with 13–19.": "手机号应为 11 位数字，以 13–19 开头。",
    # ---- demo ------------------------------------------------------------------------------
    "Demo community": "演示社区",
    "The demo community clashes with data already in the database: %(error)s": "演示社区与数据库中已有的数据冲突：%(error)s",
    "The demo cannot be loaded: these usernames are already taken: %(names)s.": "无法加载演示数据，以下用户名已被占用：%(names)s。",
    "The number of residents must be at least 1.": "居民人数至少为 1。",
    "Demo community %(name)s (%(code)s) loaded from seed %(seed)s in %(seconds)s s.": "已加载演示社区 %(name)s（%(code)s），随机种子 %(seed)s，用时 %(seconds)s 秒。",
    "The demo community %(name)s (%(code)s, seed %(seed)s) is already loaded; nothing was written.": "演示社区 %(name)s（%(code)s，随机种子 %(seed)s）已加载，未写入任何数据。",
    "username": "用户名",
    "password": "密码",
    "Demo logins": "演示账号",
    # ---- residents -------------------------------------------------------------------------
    "Your role may not list residents.": "您的角色无权查看居民列表。",
    "No community has this code.": "没有此编码的社区。",
    "Residents": "居民",
    "Search residents": "查找居民",
    "Name, ID number or mobile phone": "姓名、身份证号或手机号",
    "Name": "姓名",
    "Mobile phone": "手机号",
    "Address": "住址",
    "Occupation": "职业",
    "Lives alone": "独居",
    "Disability": "残疾情况",
    "ID number": "身份证号",
    "Sex and birth date are read from the ID number.": "性别和出生日期根据身份证号自动识别。",
    "Community": "社区",
    "Male": "男",
    "Female": "女",
    "None": "无",
    "Physical": "肢体残疾",
    "Visual": "视力残疾",
    "Hearing or speech": "听力或言语残疾",
    "Intellectual": "智力残疾",
    "Mental": "精神残疾",
    "Multiple": "多重残疾",
    "household number": "户号",
    "address": "住址",
    "household": "家庭户",
    "households": "家庭户",
    "sex": "性别",
    "birth date": "出生日期",
    "mobile phone": "手机号",
    "occupation": "职业",
    "lives alone": "独居",
    "disability": "残疾情况",
    "resident": "居民",
    "residents": "居民",
    "Parent": "父母",
    "Adult child": "成年子女",
    "Spouse": "配偶",
    "Other guardian": "其他监护人",
    "relation": "关系",
    "guardian link": "监护关系",
    "guardian links": "监护关系",
    "care team": "家庭医生团队",
    "care teams": "家庭医生团队",
    "team lead": "团队长",
    "Active": "生效中",
    "Ended": "已结束",
    "signed on": "签约日期",
    "ends on": "到期日期",
    "status": "状态",
    "care contract": "签约协议",
    "care contracts": "签约协议",
    "No such resident.": "未找到该居民。",
    "You may not register residents here.": "您无权在此登记居民。",
    "Enter the resident's name.": "请输入居民姓名。",
    "A name has at most 50 characters.": "姓名最多 50 个字符。",
    "An address has at most 200 characters.": "住址最多 200 个字符。",
    "Choose a disability type from the list.": "请从列表中选择残疾类别。",
    "A resident with this ID number is already registered.": "该身份证号的居民已登记。",
    "The household belongs to another community.": "该户属于其他社区。",
    "You may not change this record.": "您无权修改此档案。",
    "This field cannot be changed here.": "此处不能修改该项。",
    "Enter the household number.": "请输入户号。",
    "A resident cannot be their own guardian.": "居民不能担任自己的监护人。",
    "Choose a relation from the list.": "请从列表中选择关系。",
    "The team serves another community.": "该团队服务于其他社区。",
    # console
    "Overview": "概览",
    "All communities": "全部社区",
    "Community figures, counted from the resident records.": "社区概况，根据居民档案统计。",
    "Aged %(age)s or over": "%(age)s 岁及以上",
    "%(counter)s person": "%(counter)s 人",
    "Family doctor contracts in force": "生效中的家庭医生签约",
    "%(share)s%% of residents": "占居民的 %(share)s%%",
    "Living alone": "独居",
    "Every change to a resident record and every time staff open one is recorded.": "居民档案的每一次修改、工作人员的每一次查阅都会被记录。",
    "Open the audit trail": "查看审计日志",
    # resident detail
    "Back to residents": "返回居民列表",
    "%(age)s year old": "%(age)s 岁",
    "Profile": "基本信息",
    "Household": "户号",
    "Family doctor contract": "家庭医生签约",
    "Guardians and dependants": "监护人与被监护人",
    "Guardian": "监护人",
    "Looks after": "监护对象",
    "No guardian or dependant is recorded.": "尚未登记监护人或被监护人。",
    "Edit record": "编辑档案",
    "Save": "保存",
    "Record history": "档案操作记录",
    "No history yet.": "暂无记录。",
    "Family doctor team": "家庭医生团队",
    "Signed on": "签约日期",
    "Valid until": "有效期至",
    "No family doctor contract is in force.": "暂无生效的家庭医生签约。",
    "Sex": "性别",
    "Birth date": "出生日期",
    # resident list / register
    "Register a resident": "登记居民",
    "Search": "搜索",
    "%(counter)s resident matches “%(query)s”": "找到 %(counter)s 位与“%(query)s”匹配的居民",
    "%(counter)s resident": "%(counter)s 位居民",
    "Age": "年龄",
    "Care team": "家庭医生团队",
    "No contract": "未签约",
    "No resident found.": "未找到居民。",
    "Register": "登记",
    "Cancel": "取消",
    # resident portal
    "Back to my home": "返回我的首页",
    "Health record": "健康档案",
    "My home": "我的首页",
    "Hello, %(name)s": "%(name)s，您好",
    "My health record": "我的健康档案",
    "My family doctor": "我的家庭医生",
    "Family members in my care": "我监护的家人",
    "My role: %(relation)s": "我的身份：%(relation)s",
    "Your account is not linked to a health record yet. Please ask your community health centre to link it.": "您的账号尚未关联健康档案，请联系所在的社区卫生服务中心办理关联。",
    # workbench
    "My work": "我的工作",
    "Contracts to renew": "待续约",
    "Family doctor contracts ending within %(days)s days.": "%(days)s 天内到期的家庭医生签约。",
    "ends %(date)s": "%(date)s 到期",
    "Showing the first %(shown)s.": "仅显示前 %(shown)s 条。",
    "Nothing to renew.": "暂无需要续约的签约。",
    "Elders living alone": "独居老人",
    "Residents aged 60 or over who live alone: keep in regular contact.": "60 岁及以上的独居居民，请定期联系。",
    "No one in this list.": "名单中暂无人员。",
    "My care teams": "我的家庭医生团队",
    "%(counter)s contracted resident": "签约居民 %(counter)s 人",
    "Nothing is waiting for you in the workbench.": "工作台暂无待办事项。",
    # audit action labels
    "Record created": "新建档案",
    "Record changed": "修改档案",
    "Record opened": "查阅档案",
    "Guardian linked": "关联监护人",
    "Family doctor contract signed": "签约家庭医生",
    # messages
    "The record is saved.": "档案已保存。",
    "%(name)s is registered.": "%(name)s 已登记。",
    "The record will show in your list once a contract with your team is signed.": "与您的团队签约后，该档案才会出现在您的列表中。",
    # ---- layouts and error pages ---------------------------------------------------------
    "CareLoop community health": "CareLoop 社区健康",
    "Not allowed": "无权访问",
    "Your account may not open this page. If you need it for your work, ask the centre's system administrator.": "您的账号无权打开此页面。如工作需要，请联系中心的系统管理员。",
    "Back to my home page": "返回我的首页",
    "Not found": "页面不存在",
    "There is nothing here, or you may not see it.": "此处没有内容，或者您无权查看。",
    "Skip to content": "跳到正文",
    "Elder mode: on": "长辈模式：开",
    "Elder mode: off": "长辈模式：关",
    "Language": "语言",
    "Switch": "切换",
    "Sign out": "退出登录",
    "Pages": "分页",
    "Previous": "上一页",
    "Page %(number)s of %(total)s": "第 %(number)s 页，共 %(total)s 页",
    "Next": "下一页",
    "Console": "管理后台",
    "Workbench": "工作台",
    "Main": "主导航",
    # ---- service catalogue -----------------------------------------------------------------
    "Service catalogue": "服务目录",
    "You may not change the service catalogue.": "您无权修改服务目录。",
    "You may not change the providers of this organisation.": "您无权修改该机构的服务人员。",
    "Use lower-case letters, digits, underscores and dots, e.g. basic.chronic_refill.": "只能使用小写字母、数字、下划线和点，例如 basic.chronic_refill。",
    "name (Chinese)": "名称（中文）",
    "name (English)": "名称（英文）",
    "description (Chinese)": "说明（中文）",
    "description (English)": "说明（英文）",
    "note (Chinese)": "备注（中文）",
    "note (English)": "备注（英文）",
    # tiers (002 §3.1)
    "Basic (essential care)": "基础生存型",
    "Health maintenance": "健康维护型",
    "Health development": "发展提升型",
    # categories
    "Basic medical care": "基本医疗",
    "Basic public health": "基本公共卫生",
    "Emergency care": "急救服务",
    "Chronic disease management": "慢病管理",
    "Health risk screening": "健康风险筛查",
    "Rehabilitation": "康复服务",
    "Health education": "健康教育",
    "Exercise": "运动健康",
    "Psychological support": "心理支持",
    "Home care and social support": "居家照护与社会支持",
    # delivery modes
    "Home visit": "上门",
    "At the centre": "到院",
    "Online": "线上",
    "Group session": "团体活动",
    # life-cycle groups (002 §3.2) with their package names
    "Older people": "老年人（医养结合）",
    "Children and adolescents": "儿童青少年（健康护航）",
    "Working adults": "职业人群（职场赋能）",
    "Special groups": "特殊人群（兜底保障）",
    "Any": "不限",
    # skills, tags, eligibility
    "skill": "资质",
    "skills": "资质",
    "resident tag": "居民标签",
    "resident tags": "居民标签",
    "minimum age": "最小年龄",
    "maximum age": "最大年龄",
    "required tags": "必备标签",
    # services
    "tier": "服务层级",
    "category": "服务类别",
    "typical duration (minutes)": "一般时长（分钟）",
    "price (fen)": "价格（分）",
    "covered by insurance (fen)": "医保支付（分）",
    "basic public-health service": "基本公共卫生服务项目",
    "required skills": "所需资质",
    "active": "启用",
    "order": "排序",
    "catalogue version": "目录版本",
    "Shipped data version.": "随系统发布的数据版本。",
    "service": "服务",
    "services": "服务",
    "delivery mode": "服务方式",
    "delivery modes": "服务方式",
    "life-cycle group": "生命周期人群",
    "service package": "服务包",
    "service packages": "服务包",
    # package frequencies
    "day": "天",
    "week": "周",
    "month": "月",
    "year": "年",
    "once": "一次",
    "on request": "按需",
    "every": "间隔",
    "unit": "单位",
    "package item": "服务包项目",
    "package items": "服务包项目",
    # enrolments
    "enrolled on": "签约日期",
    "ended on": "结束日期",
    "reason for ending": "结束原因",
    "enrolled by": "经办人",
    "package enrolment": "服务包签约",
    "package enrolments": "服务包签约",
    "last delivered on": "上次服务日期",
    "times delivered": "已服务次数",
    "enrolment item": "签约服务项目",
    "enrolment items": "签约服务项目",
    # provider network (002 §3.3)
    "Community health centre": "社区卫生服务中心",
    "Hospital (medical alliance)": "医院（医联体）",
    "Third-party agency": "第三方机构",
    "Social organisation": "社会组织",
    "Volunteer team": "志愿者团队",
    "latitude": "纬度",
    "longitude": "经度",
    "kind": "类型",
    "phone": "电话",
    "organisation": "机构",
    "organisations": "机构",
    "Practitioner": "医务人员",
    "language": "语言",
    "languages": "语言",
    "professional title": "职称",
    "login": "登录账号",
    "services offered": "提供的服务",
    "home-visit radius (km)": "上门服务半径（公里）",
    "average rating": "平均评分",
    "ratings": "评分次数",
    "provider": "服务人员",
    "providers": "服务人员",
    "Two-way referral": "双向转诊",
    "Specialist alliance": "专科联盟",
    "Remote consultation": "远程会诊",
    "Service contract": "服务协议",
    "valid from": "生效日期",
    "valid to": "失效日期",
    "note": "备注",
    "referral agreement": "协作协议",
    "referral agreements": "协作协议",
    "specialty (Chinese)": "专科（中文）",
    "specialty (English)": "专科（英文）",
    "specialist session": "专家坐诊",
    "specialist sessions": "专家坐诊",
    # schedules, holidays, slots, bookings
    "Monday": "星期一",
    "Tuesday": "星期二",
    "Wednesday": "星期三",
    "Thursday": "星期四",
    "Friday": "星期五",
    "Saturday": "星期六",
    "Sunday": "星期日",
    "site": "服务机构",
    "Where the sessions take place; a visiting specialist's host.": "服务开展的机构；专家坐诊时为接诊机构。",
    "weekday": "星期",
    "starts at": "开始时间",
    "ends at": "结束时间",
    "slot length (minutes)": "时段长度（分钟）",
    "places per slot": "每时段名额",
    "location": "地点",
    "Empty: every service the provider offers.": "留空表示该服务人员提供的全部服务。",
    "runs on public holidays": "法定节假日照常开展",
    "For on-call and online services that do not stop on holidays.": "适用于节假日不停的值班和线上服务。",
    "weekly schedule": "每周排班",
    "weekly schedules": "每周排班",
    "Leave": "休假",
    "Sick leave": "病假",
    "Training": "培训",
    "Other": "其他",
    "from": "开始日期",
    "to": "结束日期",
    "reason": "原因",
    "schedule exception": "停诊安排",
    "schedule exceptions": "停诊安排",
    "Public holiday": "法定节假日",
    "Adjusted working day": "调休上班日",
    "date": "日期",
    "works as": "按星期几上班",
    "source": "来源",
    "public holiday": "法定节假日",
    "public holidays": "法定节假日",
    "Open": "开放",
    "Closed": "已关闭",
    "places": "名额",
    "booked": "已预约",
    "slot": "预约时段",
    "slots": "预约时段",
    "Booked": "已预约",
    "Cancelled": "已取消",
    "Attended": "已到场",
    "Did not come": "未到场",
    "booked at": "预约时间",
    "cancelled at": "取消时间",
    "reason for cancelling": "取消原因",
    "booking": "预约",
    "bookings": "预约",
    # ---- catalogue: services, packages, providers, schedules, booking --------------------
    "No such service.": "没有这项服务。",
    "No such provider.": "没有这位服务提供者。",
    "No such booking.": "没有这条预约。",
    "This request key was already used for another booking.": "此请求编号已用于另一条预约。",
    "This service is not offered in this slot.": "此时段不提供这项服务。",
    "The request key is longer than 64 characters.": "请求编号不能超过 64 个字符。",
    "The resident is not eligible for this service.": "该居民不符合这项服务的适用条件。",
    "The resident already has a place in this slot.": "该居民已预约此时段。",
    "This slot is not open for booking.": "此时段不开放预约。",
    "This slot has already started.": "此时段已经开始。",
    "This slot is fully booked.": "此时段已约满。",
    "This booking is not active any more.": "这条预约已失效。",
    "There is no shipped catalogue %(version)s.": "没有随系统提供的服务目录 %(version)s。",
    "Enter the Chinese name.": "请填写中文名称。",
    "Choose a value from the list.": "请从列表中选择。",
    "Enter a whole number, zero or more.": "请输入不小于 0 的整数。",
    "Enter an age between 0 and 150, or leave it empty.": "请输入 0 到 150 之间的年龄，或留空。",
    "Choose at least one delivery mode from the list.": "请至少选择一种服务方式。",
    "Unknown code in the list.": "列表中有未知的代码。",
    "Insurance cannot cover more than the price.": "医保支付不能超过价格。",
    "The maximum age must not be below the minimum age.": "最大年龄不能小于最小年龄。",
    "Enter the typical duration.": "请填写一般服务时长。",
    "A service with this code already exists.": "已有使用此代码的服务。",
    "Only the care team can change package enrolments.": "只有家庭医生团队可以变更服务包签约。",
    "This package is not offered any more.": "此服务包已停止提供。",
    "The resident is not eligible for this package.": "该居民不符合此服务包的适用条件。",
    "The resident is already enrolled in this package.": "该居民已签约此服务包。",
    "An enrolment cannot end before it starts.": "服务包签约的结束日期不能早于开始日期。",
    "This enrolment has already ended.": "此服务包签约已结束。",
    "A delivery cannot be in the future.": "服务完成日期不能是将来的日期。",
    "Enter a number.": "请输入数字。",
    "Enter a number between -%(limit)s and %(limit)s.": "请输入 -%(limit)s 到 %(limit)s 之间的数字。",
    "You may not add organisations here.": "您无权在此添加机构。",
    "An organisation with this code already exists.": "已有使用此代码的机构。",
    "Enter a name of at most 50 characters.": "名称不能超过 50 个字符。",
    "Enter a radius between 0 and 100 km.": "请输入 0 到 100 公里之间的服务半径。",
    "This login already belongs to another provider.": "此登录账号已属于另一位服务提供者。",
    "A rating is 1 to 5 stars.": "评分为 1 到 5 星。",
    "An organisation cannot make an agreement with itself.": "机构不能与自身签订协议。",
    "The end date must not be before the start date.": "结束日期不能早于开始日期。",
    "Choose a weekday.": "请选择星期几。",
    "The end time must be after the start time.": "结束时间必须晚于开始时间。",
    "A slot lasts at least 5 minutes and fits the session.": "每个时段至少 5 分钟，且须在出诊时间之内。",
    "Choose a delivery mode from the list.": "请从列表中选择服务方式。",
    "A home visit has one place; other slots at least one.": "上门服务每个时段只有 1 个名额；其他时段至少 1 个。",
    "The provider does not offer every chosen service.": "该服务提供者并不提供所选的全部服务。",
    "This overlaps another session of the same provider.": "与该服务提供者的另一个出诊安排时间重叠。",
    "Enter the specialty.": "请填写专科。",
    "Generate between 1 and 92 days at a time.": "每次可生成 1 到 92 天的时段。",
    "You may not generate slots.": "您无权生成预约时段。",
}


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def lookup(entry: polib.POEntry) -> str | None:
    if entry.msgctxt is not None:
        return ZH.get((entry.msgctxt, entry.msgid))
    return ZH.get(entry.msgid)


def apply(po: polib.POFile) -> tuple[int, list[str], list[str]]:
    translated, missing, problems = 0, [], []
    for entry in po:
        if entry.obsolete:
            continue
        text = lookup(entry)
        if text is None:
            if "fuzzy" in entry.flags:
                # msgmerge's guess from a similar msgid is usually wrong: drop it.
                entry.flags.remove("fuzzy")
                entry.msgstr = ""
                entry.msgstr_plural = dict.fromkeys(entry.msgstr_plural, "")
                entry.previous_msgid = entry.previous_msgid_plural = None
                entry.previous_msgctxt = None
            if not entry.translated():
                missing.append(entry.msgid)
            continue
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for source in sources:
            if placeholders(source) != placeholders(text):
                problems.append(f"placeholders differ: {source!r} -> {text!r}")
        if entry.msgid_plural:
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        translated += 1
    return translated, missing, problems


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0]) if argv else PO
    po = polib.pofile(str(path), wrapwidth=79)
    po.metadata.update(HEADER)
    po.metadata["Last-Translator"] = "CareLoop translators"
    if "POT-Creation-Date" in po.metadata:
        po.metadata["PO-Revision-Date"] = po.metadata["POT-Creation-Date"]
    po.metadata_is_fuzzy = False
    po.header = (
        "CareLoop zh-Hans catalogue. Generated by tools/i18n/zh_hans.py; edit the dict there."
    )
    translated, missing, problems = apply(po)
    po.save(str(path))
    print(f"{path}: {translated} entries translated, {len(missing)} untranslated")
    for msgid in missing:
        print(f"  untranslated: {msgid!r}")
    for problem in problems:
        print(f"  {problem}")
    return 1 if missing or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
