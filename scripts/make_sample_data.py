"""Write the fictional sample ledgers, the bureau parameters and the expected figures.

Run from the project root:  .venv/bin/python scripts/make_sample_data.py

Everything here is invented: five county finance bureaus that do not exist, with
full data for 2021 and 2022 and a few 2020/2023 rows that must not count. The
ledgers are written the way offices keep them (text dates, numbers with thousands
commas, blank rows, an extra column, a GBK CSV with English headers, a UTF-8 BOM
CSV) so that they exercise every rule of data-contract.md and placeholders.md.

The expected figures (tests/data/expected/<code>-<year>.json) are derived from the
plan below, not by reading the files back: they are an independent oracle. Amounts
are converted and rounded with decimal.ROUND_HALF_UP.

The script is deterministic: no randomness, and every file (the workbook too) comes
out byte for byte the same on every run.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
WORKBOOK = SAMPLE / "县级财政局台账.xlsx"
CSV_DIR = SAMPLE / "补充"
ACTIVITIES_CSV = CSV_DIR / "activities.csv"  # GBK, English headers, fengling only
PROBLEMS_CSV = CSV_DIR / "problems.csv"  # UTF-8 with BOM, Chinese headers, meiling only
PARAMS = ROOT / "parameters" / "bureaus"
EXPECTED = ROOT / "tests" / "data" / "expected"

CSV_ACTIVITIES_BUREAU = "fengling"
CSV_PROBLEMS_BUREAU = "meiling"

# --------------------------------------------------------------------------- bureaus

BUREAUS: dict[str, dict[str, str]] = {
    "qingshan": {
        "name": "青山县财政局",
        "office_director": "刘建华",
        "liaison": "陈晓敏",
        "prefix": "QS",
        "clerk": "张敏",
    },
    "hedong": {
        "name": "河东县财政局",
        "office_director": "王志刚",
        "liaison": "赵丽娟",
        "prefix": "HD",
        "clerk": "李强",
    },
    "fengling": {
        "name": "枫岭县财政局",
        "office_director": "孙国平",
        "liaison": "周慧",
        "prefix": "FL",
        "clerk": "何静",
    },
    "meiling": {
        "name": "梅岭县财政局",
        "office_director": "黄德明",
        "liaison": "吴婷婷",
        "prefix": "ML",
        "clerk": "罗芳",
    },
    "yunshui": {
        "name": "云水县财政局",
        "office_director": "郑永强",
        "liaison": "钟雪梅",
        "prefix": "YS",
        "clerk": "曾伟",
    },
}

# Per-year narrative text for one bureau (the toolkit reads it from the YAML file).
QINGSHAN_NARRATIVE_2022 = {
    "problems": (
        "一年来，我局党史学习教育常态化长效化工作虽取得一定成效，但对照上级要求，"
        "仍存在一些不足。一是学习的系统性还不够强，个别党员干部满足于完成规定学时，"
        "主动学、深入学的劲头不足。\n"
        "\n"
        "二是成果转化还不够充分，“我为群众办实事”个别项目推进偏慢，"
        "财政资金直达基层的精准度还需进一步提高。\n"
    ),
    "next_steps": (
        "（一）健全常态化学习机制。把党史学习教育纳入局党委理论学习中心组年度学习计划，"
        "坚持每月一次专题学习，推动学习教育常态化、制度化。\n"
        "\n"
        "（二）持续为群众办实事。建立民生实事项目清单和问题台账，实行销号管理，"
        "确保群众反映的问题件件有着落、事事有回音。\n"
        "\n"
        "（三）以学促干抓好财政主业。加强收入征管，优化支出结构，兜牢“三保”底线，"
        "为全县经济社会高质量发展提供坚实财力保障。\n"
    ),
}

# --------------------------------------------------------------------------- the plan
#
# One entry per bureau-year. Dates are "MM-DD" in that year. Tuples:
#   kickoffs      (date, title, late)             late: entered at the end of the block
#   lectures      (date, branch)                  one 宣讲 row per lecture
#   youth         (date, venue)                   参观学习, 参加对象 青年干部
#   members       (start, end, venue)             参观学习, 参加对象 全体党员
#   open_days     (date, visitors)                开放日, 人数
#   extras        (kind, date)                    rows that feed no blank
#   survey        (resolved, longterm, pending)   大调研 problems, generated below
#   open_problems (id, raised, status, resolved_on, summary, late[, date_style])
#   other_problems(id, raised, status, resolved_on, summary)
#   finance       indicator -> (value, unit, how it is written)
#                 how: num (a real Excel number), comma (text with thousands
#                 commas), text (plain text), pad (text with spaces around it)
#   through       截至月份 of every finance row of the bureau-year (None = empty)

已解决, 长期坚持, 办理中 = "已解决", "长期坚持", "办理中"

PLAN: dict[tuple[str, int], dict[str, Any]] = {
    ("qingshan", 2021): {
        "kickoffs": [("03-26", "党史学习教育工作推进部署会", False), ("03-05", "党史学习教育动员部署会", True)],
        "plan": "03-12",
        "lectures": [
            ("04-08", "机关第一党支部"),
            ("04-22", "预算股党支部"),
            ("05-13", "国库支付中心党支部"),
            ("05-27", "乡镇财政所党支部"),
            ("06-10", "机关第一党支部"),
            ("06-24", "退休干部党支部"),
        ],
        "youth": ("04-23", "青山县革命历史陈列馆"),
        "members": ("05-30", "06-02", "青山县苏区烈士纪念馆"),
        "traffic": ["05-08", "06-12", "07-10", "09-18", "10-23"],
        "home": ["04-17", "06-05", "08-14", "11-06"],
        "drills": ["08-26", "11-19"],
        "open_days": [("06-18", 45), ("07-09", 38), ("08-20", 52), ("10-15", 41)],
        "extras": [
            ("交流会", "04-30"),
            ("交流会", "07-30"),
            ("交流会", "10-29"),
            ("观影学习", "05-21"),
            ("观影学习", "09-03"),
            ("调研", "06-03"),
            ("其他", "07-01"),
            ("参观学习", "07-16"),
        ],
        "survey": (9, 3, 2),
        "open_problems": [
            ("KF03", "07-09", 已解决, "07-22", "财政评审工程项目不够快", False),
            ("KF01", "06-18", 已解决, "06-30", "贸易税收奖励兑现不够及时", True),
            ("KF02", "06-18", 长期坚持, None, "中小企业融资担保门槛偏高", False),
            ("KF04", "08-20", 已解决, "09-02", "惠农补贴资金发放信息公开不够", False),
            ("KF05", "10-15", 办理中, None, "老旧小区改造配套资金拨付进度慢", False),
        ],
        "other_problems": [("QT01", "05-11", 已解决, "05-28", "群众来信反映村级财务公开不及时")],
        "finance": {
            "财政总收入": ("19.365", "亿元", "num"),
            "税收收入": ("1234567890", "元", "comma"),
            "一般公共预算收入": ("86421.7", "万元", "comma"),
            "民生配套资金": ("12345000", "元", "comma"),
            "寄宿生营养餐补助资金": ("3561250", "元", "comma"),
            "贫困学生资助金": ("1234.565", "万元", "num"),
            "资助贫困学生人次": ("12086", "人次", "comma"),
            "支农支出预算": ("45230", "万元", "num"),
            "农林水事务支出": ("8.76543", "亿元", "num"),
            "惠农补贴资金": ("12345678", "元", "comma"),
            "民生工程项目资金": ("23456.70", "万元", "text"),
        },
        "through": 11,
    },
    ("qingshan", 2022): {
        "kickoffs": [("02-24", "党史学习教育常态化长效化工作部署会", False)],
        "plan": "03-08",
        "lectures": [
            ("03-17", "预算股党支部"),
            ("04-14", "非税收入管理局党支部"),
            ("04-28", "机关第二党支部"),
            ("05-19", "预算股党支部"),
            ("05-26", "乡镇财政所党支部"),
        ],
        "youth": ("04-08", "青山县瑞溪革命历史陈列馆"),
        "members": ("06-15", "06-17", "青山县红军烈士纪念馆"),
        "traffic": ["03-19", "05-14", "08-13", "10-22"],
        "home": ["05-07", "09-24", "12-03"],
        "drills": ["04-21", "07-15", "11-10"],
        "open_days": [("05-20", 36), ("09-16", 44), ("11-25", 29)],
        "extras": [
            ("交流会", "03-31"),
            ("交流会", "06-30"),
            ("观影学习", "04-22"),
            ("调研", "07-08"),
            ("其他", "12-16"),
        ],
        "survey": (7, 2, 3),
        "open_problems": [
            ("KF01", "05-20", 已解决, "06-02", "招商引资企业奖励政策兑现程序繁琐", False),
            ("KF02", "05-20", 办理中, None, "城区背街小巷路灯维修资金不足", False),
            ("KF03", "09-16", 已解决, "09-29", "工程款支付进度滞后影响农民工工资发放", False),
            ("KF04", "11-25", 长期坚持, None, "企业稳岗补贴到账慢", False),
        ],
        "other_problems": [
            ("QT01", "03-22", 长期坚持, None, "巡察反馈部分财政存量资金盘活不够"),
            ("QT02", "08-09", 已解决, "08-30", "12345热线反映乡村教师生活补助发放延迟"),
        ],
        "finance": {
            "财政总收入": ("21.2", "亿元", "num"),
            "税收收入": ("1402350000", "元", "comma"),
            "一般公共预算收入": ("98765", "万元", "num"),
            "民生配套资金": ("1876.4", "万元", "comma"),
            "寄宿生营养餐补助资金": ("402.5", "万元", "num"),
            "贫困学生资助金": ("1198.3", "万元", "comma"),
            "资助贫困学生人次": ("11532", "人次", "num"),
            "支农支出预算": ("48000", "万元", "comma"),
            "农林水事务支出": ("95321.456", "万元", "num"),
            "惠农补贴资金": ("13020000", "元", "comma"),
            "民生工程项目资金": ("26110.55", "万元", "num"),
        },
        "through": None,
    },
    ("hedong", 2021): {
        "kickoffs": [("03-09", "党史学习教育动员部署会", False), ("05-11", "党史学习教育推进部署会", False)],
        "plan": "03-16",
        "lectures": [
            ("04-06", "机关第一党支部"),
            ("04-20", "综合股党支部"),
            ("05-06", "预算股党支部"),
            ("05-20", "机关第一党支部"),
            ("06-08", "乡镇财政所党支部"),
            ("06-22", "社会保障股党支部"),
            ("07-06", "退休干部党支部"),
        ],
        "youth": ("04-29", "河东县革命历史陈列馆"),
        "members": ("05-10", "05-12", "河东县革命烈士纪念馆"),
        "traffic": ["04-10", "05-15", "06-19", "08-07", "09-11", "10-16"],
        "home": ["05-22", "07-24", "09-25"],
        "drills": ["10-28"],
        "open_days": [("06-11", 62), ("06-25", 48), ("07-02", 55)],
        "extras": [
            ("交流会", "05-28"),
            ("交流会", "08-27"),
            ("观影学习", "06-18"),
            ("调研", "09-09"),
            ("调研", "11-12"),
            ("其他", "07-01"),
        ],
        "survey": (11, 4, 3),
        "open_problems": [
            # Three raised on 06-11: the first two resolved ones in ledger order are
            # KF07 then KF02 (not by id, not by 办结日期).
            ("KF05", "06-25", 已解决, "07-08", "涉企资金申报流程不够清晰", False),
            ("KF07", "06-11", 已解决, "06-20", "政府采购合同融资宣传不到位", False, "compact"),
            ("KF03", "06-11", 办理中, None, "离休干部医疗费报销周期长", False),
            ("KF02", "06-11", 已解决, "06-15", "乡镇财政所窗口服务时间与群众需求不匹配", False),
            ("KF09", "07-02", 已解决, "07-16", "退休人员工资调整补发不及时", False),
            ("KF10", "07-02", 长期坚持, None, "城区农贸市场改造资金缺口大", False),
        ],
        "other_problems": [("QT01", "04-14", 办理中, None, "人大代表建议提高村级组织运转经费标准")],
        "finance": {
            "财政总收入": ("215436.5", "万元", "comma"),
            "税收收入": ("14.6", "亿元", "num"),
            "一般公共预算收入": ("10.005", "亿元", "num"),
            "民生配套资金": ("2310", "万元", "num"),
            "寄宿生营养餐补助资金": ("289.46", "万元", "num"),
            "贫困学生资助金": ("15670500", "元", "comma"),
            "资助贫困学生人次": ("9874", "人次", "num"),
            "支农支出预算": ("38650.2", "万元", "num"),
            "农林水事务支出": ("71204.8", "万元", "comma"),
            "惠农补贴资金": ("9876.5", "万元", "num"),
            "民生工程项目资金": ("18230", "万元", "num"),
        },
        "through": None,
    },
    ("hedong", 2022): {
        "kickoffs": [("03-03", "党史学习教育常态化长效化部署会", False)],
        "plan": "03-11",
        "lectures": [
            ("05-06", "机关第二党支部"),
            ("05-12", "预算股党支部"),
            ("05-19", "国库支付中心党支部"),
            ("05-26", "农业农村股党支部"),
        ],
        "youth": ("04-15", "河东县南岭革命历史陈列馆"),
        "members": ("06-08", "06-10", "河东县抗战纪念馆"),
        "traffic": ["03-26", "06-25", "09-24"],
        "home": ["04-23", "06-18", "08-20", "10-22", "12-10"],
        "drills": ["05-27", "09-29"],
        "open_days": [("07-15", 40), ("10-21", 57)],
        "extras": [("交流会", "04-29"), ("观影学习", "07-01"), ("调研", "08-05"), ("其他", "11-18")],
        "survey": (8, 1, 4),
        "open_problems": [
            ("KF01", "07-15", 已解决, "07-29", "社区养老服务中心运营补贴申请流程不清", False),
            ("KF02", "07-15", 已解决, "08-05", "小微企业创业担保贷款审批时间长", False),
            ("KF03", "10-21", 已解决, "11-04", "乡镇财政所代发补贴查询渠道少", False),
            ("KF04", "10-21", 办理中, None, "农村客运班线运营补贴标准偏低", False),
        ],
        "other_problems": [("QT01", "06-06", 已解决, "06-24", "审计反馈部分项目资金绩效目标不够细化")],
        "finance": {
            "财政总收入": ("23.10", "亿元", "pad"),
            "税收收入": ("1580000000", "元", "comma"),
            "一般公共预算收入": ("11", "亿元", "num"),
            "民生配套资金": ("2344.495", "万元", "num"),
            "寄宿生营养餐补助资金": ("3120000", "元", "comma"),
            "贫困学生资助金": ("1702.375", "万元", "num"),
            "资助贫困学生人次": ("10230", "人次", "comma"),
            "支农支出预算": ("40100", "万元", "num"),
            "农林水事务支出": ("7.34", "亿元", "num"),
            "惠农补贴资金": ("10002.004", "万元", "num"),
            "民生工程项目资金": ("19876.45", "万元", "comma"),
        },
        "through": 11,
    },
    ("fengling", 2021): {
        "kickoffs": [("03-02", "党史学习教育动员部署会", False)],
        "plan": "03-10",
        "lectures": [
            ("04-15", "机关党支部"),
            ("05-13", "国库支付中心党支部"),
            ("05-27", "财政投资评审中心党支部"),
            ("06-17", "机关党支部"),
            ("06-24", "乡镇财政所党支部"),
        ],
        "youth": ("05-07", "枫岭县革命历史陈列馆"),
        "members": ("06-22", "06-24", "枫岭县烈士纪念馆"),
        "traffic": ["05-29", "07-17", "09-25", "11-27"],
        "home": ["06-26", "10-09"],
        "drills": ["09-15", "12-08"],
        "open_days": [("07-23", 33), ("09-17", 27), ("11-19", 31)],
        "extras": [("交流会", "04-28"), ("交流会", "09-29"), ("观影学习", "05-14"), ("其他", "07-01")],
        "survey": (6, 2, 1),
        "open_problems": [
            ("KF01", "07-23", 已解决, "08-06", "涉农资金项目申报指导不够", False),
            ("KF02", "09-17", 长期坚持, None, "县城停车位不足影响来访办事", False),
            ("KF03", "09-17", 已解决, "09-30", "惠企政策兑现材料要求多", False),
            ("KF04", "11-19", 已解决, "12-03", "财政电子票据查验不便", False),
        ],
        "other_problems": [("QT01", "08-12", 已解决, "08-26", "信访件反映低保资金发放不及时")],
        "finance": {
            "财政总收入": ("15.78", "亿元", "num"),
            "税收收入": ("987650000", "元", "comma"),
            "一般公共预算收入": ("6.125", "亿元", "num"),
            "民生配套资金": ("986.5", "万元", "num"),
            "寄宿生营养餐补助资金": ("198.7", "万元", "num"),
            "贫困学生资助金": ("8765432", "元", "comma"),
            "资助贫困学生人次": ("6543", "人次", "num"),
            "支农支出预算": ("28900", "万元", "comma"),
            "农林水事务支出": ("52345.675", "万元", "num"),
            "惠农补贴资金": ("6543.21", "万元", "num"),
            "民生工程项目资金": ("14567.8", "万元", "num"),
        },
        "through": 11,
    },
    ("fengling", 2022): {
        "kickoffs": [("02-28", "党史学习教育常态化长效化部署会", False)],
        "plan": "03-07",
        "lectures": [
            ("03-24", "机关党支部"),
            ("04-07", "农业农村股党支部"),
            ("04-21", "国库支付中心党支部"),
            ("04-28", "机关党支部"),
        ],
        "youth": ("04-30", "枫岭县石门革命历史陈列馆"),
        "members": ("06-29", "07-01", "枫岭县红色交通线纪念馆"),
        "traffic": ["04-16", "08-20", "10-15"],
        "home": ["03-12", "06-11", "09-10", "12-03"],
        "drills": ["06-23"],
        "open_days": [("05-27", 38), ("08-26", 42), ("11-25", 35)],
        "extras": [("交流会", "05-31"), ("观影学习", "10-28"), ("调研", "06-16"), ("其他", "12-20")],
        "survey": (10, 2, 2),
        "open_problems": [
            ("KF01", "05-27", 已解决, "06-10", "村级公益事业一事一议奖补资金拨付慢", False),
            ("KF02", "08-26", 已解决, "09-08", "农村低收入人口医疗救助报销流程繁琐", False),
            ("KF03", "11-25", 办理中, None, "县城老旧管网改造资金缺口大", False),
        ],
        "other_problems": [("QT01", "07-07", 长期坚持, None, "政协委员提案建议加大乡村振兴衔接资金投入")],
        "finance": {
            "财政总收入": ("16.9", "亿元", "num"),
            "税收收入": ("10.2", "亿元", "num"),
            "一般公共预算收入": ("6.8", "亿元", "text"),
            "民生配套资金": ("10450000", "元", "comma"),
            "寄宿生营养餐补助资金": ("2150000", "元", "comma"),
            "贫困学生资助金": ("912.36", "万元", "num"),
            "资助贫困学生人次": ("6880", "人次", "num"),
            "支农支出预算": ("30500", "万元", "num"),
            "农林水事务支出": ("560000000", "元", "comma"),
            "惠农补贴资金": ("6890", "万元", "num"),
            "民生工程项目资金": ("1.52", "亿元", "num"),
        },
        "through": None,
    },
    ("meiling", 2021): {
        "kickoffs": [("03-15", "党史学习教育动员部署会", False)],
        "plan": "03-19",
        "lectures": [
            ("05-11", "机关第一党支部"),
            ("05-25", "预算股党支部"),
            ("06-15", "机关第二党支部"),
            ("07-13", "乡镇财政所党支部"),
            ("07-27", "预算股党支部"),
        ],
        "youth": ("04-16", "梅岭县工农革命历史陈列馆"),
        "members": ("07-06", "07-08", "梅岭县红军长征纪念馆"),
        "traffic": ["06-05", "08-21", "10-30"],
        "home": ["05-15", "07-17", "09-18", "11-20", "12-11"],
        "drills": ["06-29", "09-24"],
        "open_days": [("08-13", 26), ("11-12", 34)],
        "extras": [
            ("交流会", "04-27"),
            ("交流会", "06-25"),
            ("观影学习", "05-28"),
            ("调研", "08-25"),
            ("其他", "07-01"),
            ("参观学习", "10-15"),
        ],
        "survey": (5, 3, 2),
        "open_problems": [
            ("KF02", "11-12", 已解决, "11-26", "预算单位公务卡报销流程繁琐", False),
            ("KF01", "08-13", 已解决, "08-27", "政府采购意向公开不够及时", False),
            ("KF03", "11-12", 已解决, "11-30", "企业技改补助资金拨付慢", False),
            ("KF04", "11-12", 长期坚持, None, "乡镇污水处理设施运维经费不足", False),
        ],
        "other_problems": [("QT01", "09-08", 已解决, "09-22", "群众来电反映城乡居民养老保险补贴到账晚")],
        "finance": {
            "财政总收入": ("128765.4", "万元", "comma"),
            "税收收入": ("8.9", "亿元", "num"),
            "一般公共预算收入": ("5.65", "亿元", "num"),
            "民生配套资金": ("1500", "万元", "num"),
            "寄宿生营养餐补助资金": ("168.245", "万元", "num"),
            "贫困学生资助金": ("745.6", "万元", "num"),
            "资助贫困学生人次": ("5432", "人次", "num"),
            "支农支出预算": ("22000", "万元", "num"),
            "农林水事务支出": ("43210.9", "万元", "num"),
            "惠农补贴资金": ("5210", "万元", "num"),
            "民生工程项目资金": ("12000.00", "万元", "comma"),
        },
        "through": None,
    },
    ("meiling", 2022): {
        "kickoffs": [("03-01", "党史学习教育常态化长效化部署会", False), ("03-24", "党史学习教育专题部署会", False)],
        "plan": "03-14",
        "lectures": [
            ("09-02", "机关第一党支部"),
            ("09-09", "机关第二党支部"),
            ("09-16", "预算股党支部"),
            ("09-23", "机关第一党支部"),
            ("09-29", "退休干部党支部"),
        ],
        "youth": ("05-04", "梅岭县工农革命历史陈列馆"),
        "members": ("06-21", "06-23", "梅岭县秋收暴动纪念馆"),
        "traffic": ["04-09", "07-09", "10-08", "12-10"],
        "home": ["05-21", "08-27"],
        "drills": ["04-28", "08-18", "11-24"],
        "open_days": [("06-10", 30), ("12-09", 25)],
        "extras": [("交流会", "04-26"), ("观影学习", "06-24"), ("调研", "10-20"), ("其他", "12-23")],
        "survey": (9, 2, 1),
        "open_problems": [
            ("KF01", "06-10", 已解决, "06-24", "乡镇财政所惠民资金公示栏更新不及时", False),
            ("KF02", "06-10", 已解决, "07-01", "民营企业账款清欠进度慢", False),
            ("KF03", "12-09", 办理中, None, "城区公共停车场建设资金未落实", False),
        ],
        "other_problems": [
            ("QT01", "03-30", 已解决, "04-15", "巡察反馈项目资金支出进度偏慢"),
            ("QT02", "10-12", 办理中, None, "群众来信反映农村道路安保设施资金不足"),
        ],
        "finance": {
            "财政总收入": ("13.5", "亿元", "num"),
            "税收收入": ("9.305", "亿元", "num"),
            "一般公共预算收入": ("6.02", "亿元", "num"),
            "民生配套资金": ("16004999", "元", "comma"),
            "寄宿生营养餐补助资金": ("175", "万元", "num"),
            "贫困学生资助金": ("8008000", "元", "comma"),
            "资助贫困学生人次": ("5610", "人次", "num"),
            "支农支出预算": ("23500", "万元", "num"),
            "农林水事务支出": ("47654.3", "万元", "num"),
            "惠农补贴资金": ("5500.5", "万元", "num"),
            "民生工程项目资金": ("13450", "万元", "num"),
        },
        "through": 11,
    },
    ("yunshui", 2021): {
        "kickoffs": [("03-30", "党史学习教育工作推进部署会", False), ("03-18", "党史学习教育动员部署会", True)],
        "plan": "03-25",
        "lectures": [
            ("04-09", "机关第一党支部"),
            ("04-23", "机关第二党支部"),
            ("05-14", "预算股党支部"),
            ("06-11", "国库支付中心党支部"),
            ("08-13", "机关第一党支部"),
            ("09-10", "乡镇财政所党支部"),
            ("09-24", "非税收入管理局党支部"),
            ("10-15", "机关第二党支部"),
        ],
        "youth": ("04-24", "云水县革命历史陈列馆"),
        "members": ("06-16", "06-18", "云水县烈士纪念馆"),
        "traffic": ["04-17", "05-22", "06-26", "07-24", "08-28", "09-25", "10-30"],
        "home": ["05-08", "07-03", "09-04", "11-13"],
        "drills": ["06-30", "10-21", "12-02"],
        "open_days": [("05-21", 58), ("07-16", 61), ("09-17", 49), ("11-19", 53)],
        "extras": [
            ("交流会", "04-28"),
            ("交流会", "06-29"),
            ("交流会", "09-28"),
            ("观影学习", "05-07"),
            ("调研", "08-06"),
            ("其他", "07-01"),
        ],
        "survey": (12, 4, 3),
        "open_problems": [
            ("KF01", "05-21", 已解决, "06-04", "重点项目财政评审时限偏长", False),
            ("KF02", "07-16", 已解决, "07-30", "乡镇干部津补贴发放标准不统一", False),
            ("KF03", "07-16", 长期坚持, None, "县城公交线路运营补贴不足", False),
            ("KF04", "09-17", 已解决, "10-08", "农业产业化龙头企业贴息资金到位慢", False),
            ("KF05", "11-19", 办理中, None, "安置小区配套设施建设资金缺口大", False),
        ],
        "other_problems": [
            ("QT01", "06-03", 已解决, "06-20", "审计反馈部分专项资金闲置"),
            ("QT02", "10-26", 长期坚持, None, "人大代表建议增加农村公路养护投入"),
        ],
        "finance": {
            "财政总收入": ("31.2", "亿元", "num"),
            "税收收入": ("2245000000", "元", "comma"),
            "一般公共预算收入": ("16.785", "亿元", "num"),
            "民生配套资金": ("3456", "万元", "comma"),
            "寄宿生营养餐补助资金": ("5678900", "元", "comma"),
            "贫困学生资助金": ("2345.6", "万元", "num"),
            "资助贫困学生人次": ("18765", "人次", "comma"),
            "支农支出预算": ("65400", "万元", "num"),
            "农林水事务支出": ("10.2345", "亿元", "num"),
            "惠农补贴资金": ("15432.1", "万元", "num"),
            "民生工程项目资金": ("34567.89", "万元", "num"),
        },
        "through": 11,
    },
    ("yunshui", 2022): {
        "kickoffs": [("02-25", "党史学习教育常态化长效化部署会", False)],
        "plan": "03-04",
        "lectures": [
            ("03-11", "机关第一党支部"),
            ("03-25", "预算股党支部"),
            ("04-08", "国库支付中心党支部"),
            ("04-22", "乡镇财政所党支部"),
            ("05-13", "预算股党支部"),
        ],
        "youth": ("04-29", "云水县革命历史陈列馆"),
        "members": ("05-17", "05-19", "云水县秋溪起义纪念馆"),
        "traffic": ["03-26", "05-28", "08-27", "11-26"],
        "home": ["04-16", "07-09", "10-15"],
        "drills": ["06-17", "11-03"],
        "open_days": [("06-24", 47), ("09-23", 50)],
        "extras": [
            ("交流会", "03-31"),
            ("交流会", "07-29"),
            ("观影学习", "06-10"),
            ("调研", "09-02"),
            ("其他", "12-15"),
        ],
        "survey": (10, 3, 2),
        "open_problems": [
            ("KF01", "06-24", 已解决, "07-08", "惠农补贴资金发放信息公开不够", False),
            ("KF02", "06-24", 已解决, "07-06", "企业研发费用补助兑现不及时", False),
            ("KF03", "09-23", 已解决, "10-11", "政府采购项目验收付款周期长", False),
            ("KF04", "09-23", 办理中, None, "农贸市场提升改造资金未到位", False),
        ],
        "other_problems": [("QT01", "05-05", 已解决, "05-20", "12345热线反映优抚对象补贴咨询渠道少")],
        "finance": {
            "财政总收入": ("33.45", "亿元", "num"),
            "税收收入": ("24.1", "亿元", "num"),
            "一般公共预算收入": ("17.9", "亿元", "num"),
            "民生配套资金": ("3678.9", "万元", "num"),
            "寄宿生营养餐补助资金": ("590", "万元", "num"),
            "贫困学生资助金": ("25123400", "元", "comma"),
            "资助贫困学生人次": ("19020", "人次", "num"),
            "支农支出预算": ("68000", "万元", "num"),
            "农林水事务支出": ("108765.4", "万元", "comma"),
            "惠农补贴资金": ("16000", "万元", "num"),
            "民生工程项目资金": ("36012.3", "万元", "num"),
        },
        "through": None,
    },
}

# Rows outside 2021-2022: they must not count for any report.
NOISE_ACTIVITIES = [
    ("qingshan", "2020-12-28", "部署会", "党史学习教育筹备工作部署会", "局机关全体党员", "局三楼会议室", 42),
    ("qingshan", "2023-02-18", "文明交通志愿服务", "春运文明交通志愿服务", "青年志愿者", "县城东门路口", 12),
    ("hedong", "2020-11-20", "开放日", "党委书记“为民办事开放日”", "来访群众、客商", "局一楼接待室", 35),
    ("yunshui", "2020-12-10", "宣讲", "学习贯彻党的十九届五中全会精神宣讲", "机关第一党支部", "局五楼会议室", 30),
    ("meiling", "2023-01-06", "部署会", "2023年党建工作部署会", "局机关全体党员", "局四楼会议室", 51),
    ("fengling", "2023-01-12", "开放日", "党委书记“为民办事开放日”", "来访群众、客商", "局一楼接待室", 40),
]
NOISE_PROBLEMS = [  # bureau, id, source, raised, status, resolved_on, summary
    ("qingshan", "QS-2020-DY01", "大调研", "2020-12-20", 已解决, "2021-01-15", "春节前农民工工资保障资金拨付偏慢"),
    ("hedong", "HD-2020-KF01", "开放日", "2020-11-20", 已解决, "2020-12-04", "涉企收费公示不够清晰"),
    ("meiling", "ML-2023-KF01", "开放日", "2023-01-06", 办理中, None, "城区停车难问题突出"),
    ("yunshui", "YS-2023-DY01", "大调研", "2023-01-10", 办理中, None, "农村饮水安全工程维修资金不足"),
]
NOISE_FINANCE = [  # bureau, year, indicator, through, value, unit
    ("qingshan", 2023, "财政总收入", 3, "5.12", "亿元"),
    ("hedong", 2023, "税收收入", 2, "3.2", "亿元"),
    ("yunshui", 2020, "财政总收入", None, "29.8", "亿元"),
    ("meiling", 2020, "民生配套资金", None, "1350", "万元"),
]

SURVEY_SUMMARIES = [
    "乡镇财政所惠农补贴“一卡通”发放查询不便",
    "涉农资金整合项目公示不够及时",
    "企业奖补政策宣传解读不够深入",
    "政府采购中小企业预留份额执行不到位",
    "农村公益事业财政奖补项目验收周期长",
    "村级组织运转经费保障标准偏低",
    "城乡居民医保缴费渠道不够便捷",
    "困难群众救助资金审核流程繁琐",
    "乡村道路养护资金拨付滞后",
    "高标准农田建设项目资金拨付慢",
    "园区企业融资难、融资贵",
    "“财园信贷通”贷款额度不足",
    "村集体经济项目后续管理不规范",
    "老旧小区改造配套资金落实不到位",
    "农村饮水安全工程维修资金不足",
    "义务教育学校公用经费拨付不及时",
    "残疾人两项补贴发放信息不透明",
    "城区停车难问题突出",
    "非税收入缴款方式单一",
    "政府投资项目评审时限偏长",
    "农业保险理赔程序复杂",
    "乡镇卫生院设备更新资金缺口大",
    "社区养老服务设施运营补贴标准偏低",
    "惠企政策兑现材料要求多",
    "财政票据电子化推广不够",
    "村级公益性岗位补贴发放不及时",
    "小微企业创业担保贷款贴息申请门槛高",
    "农村危房改造补助资金公示不规范",
    "财政资金直达基层监控不够精准",
    "乡镇财政所人员业务能力有待提升",
    "耕地地力保护补贴核定面积有误",
    "退役军人优抚资金发放不及时",
    "公共厕所维护经费保障不足",
    "城区排水管网改造资金缺口大",
    "村务监督委员会履职补贴偏低",
    "农民专业合作社奖补资金申报指导不够",
    "中小学校舍维修资金安排不足",
    "政府性基金预算执行进度慢",
]
SURVEY_OFFSET = {
    ("qingshan", 2021): 0,
    ("qingshan", 2022): 14,
    ("hedong", 2021): 5,
    ("hedong", 2022): 20,
    ("fengling", 2021): 10,
    ("fengling", 2022): 25,
    ("meiling", 2021): 30,
    ("meiling", 2022): 35,
    ("yunshui", 2021): 3,
    ("yunshui", 2022): 8,
}

EXTRA_TITLES = {
    "交流会": ("{m}月份党史学习教育专题交流会", "全体党员", "局三楼会议室"),
    "观影学习": ("集中观看《觉醒年代》《长津湖》等红色影片", "全体干部职工", "县影剧院"),
    "调研": ("赴乡镇开展财政资金使用情况专题调研", "局党委班子成员", "各乡镇财政所"),
    "其他": ("“七一”主题党日暨重温入党誓词活动", "全体党员", "局五楼会议室"),
    "参观学习": ("组织入党积极分子参观廉政教育基地", "入党积极分子", "县廉政教育基地"),
}
EXTRA_OTHER_TITLES = {  # 其他 rows not in July
    12: "年度党员组织生活会",
}

# --------------------------------------------------------------------------- numbers

FEN = Decimal("0.01")
TO_WAN = {"元": Decimal("0.0001"), "万元": Decimal(1), "亿元": Decimal(10000)}
TO_YI = {"元": Decimal("0.00000001"), "万元": Decimal("0.0001"), "亿元": Decimal(1)}


def plain(value: Decimal) -> str:
    """Fixed-point text without trailing zeros: 1234.50 -> 1234.5, 12.00 -> 12."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def two_places(value: Decimal) -> str:
    return plain(value.quantize(FEN, rounding=ROUND_HALF_UP))


def whole(value: Decimal) -> str:
    return format(value.quantize(Decimal(1), rounding=ROUND_HALF_UP), "f")


# --------------------------------------------------------------------------- dates


def day(year: int, month_day: str) -> date:
    month, dd = month_day.split("-")
    return date(year, int(month), int(dd))


def iso(text: str) -> date:
    return date.fromisoformat(text)


def date_text(value: date, style: str) -> str:
    """A date typed as text, in one of the forms the contract accepts."""
    y, m, d = value.year, value.month, value.day
    return {
        "iso": f"{y}-{m:02d}-{d:02d}",
        "slash": f"{y}/{m}/{d}",
        "dot": f"{y}.{m}.{d}",
        "cn": f"{y}年{m}月{d}日",
        "compact": f"{y}{m:02d}{d:02d}",
    }[style]


def md(value: date) -> str:
    return f"{value.month}月{value.day}日"


def md_range(start: date, end: date) -> str:
    if start.month == end.month:
        return f"{start.month}月{start.day}日至{end.day}日"
    return f"{md(start)}至{md(end)}"


def month_span(first: date, last: date) -> str:
    if first.month == last.month:
        return f"{first.month}月"
    return f"{first.month}至{last.month}月"


# --------------------------------------------------------------------------- rows


def activity_rows(code: str, year: int, p: dict[str, Any]) -> list[dict[str, Any]]:
    """The 活动台账 rows of one bureau-year, in ledger order."""
    rows: list[dict[str, Any]] = []

    def add(
        when: date,
        kind: str,
        title: str,
        audience: str,
        venue: str,
        participants: int | None = None,
        *,
        end: date | None = None,
        notes: str = "",
        late: bool = False,
        date_style: str | None = None,
        end_style: str | None = None,
    ) -> None:
        rows.append(
            {
                "bureau": code,
                "date": when,
                "end_date": end,
                "kind": kind,
                "title": title,
                "audience": audience,
                "venue": venue,
                "participants": participants,
                "notes": notes,
                "late": late,
                "date_style": date_style,
                "end_style": end_style,
            }
        )

    for when, title, late in p["kickoffs"]:
        add(
            day(year, when),
            "部署会",
            title,
            "局机关全体党员",
            "局三楼会议室",
            48,
            notes="补录" if late else "局党委书记主持",
            late=late,
            date_style="cn" if late and code == "qingshan" else None,
        )
    add(day(year, p["plan"]), "方案审定", "审定《关于在全局开展党史学习教育实施方案》", "局党委委员", "局党委会议室", 9)
    for when, branch in p["lectures"]:
        add(day(year, when), "宣讲", "“学百年党史 开财政新局”专题宣讲", branch, "支部活动室", 25)
    when, venue = p["youth"]
    add(day(year, when), "参观学习", "组织青年干部开展红色教育", "青年干部", venue, 28)
    start, end, venue = p["members"]
    cross_month = day(year, start).month != day(year, end).month
    add(
        day(year, start),
        "参观学习",
        "组织全体党员开展党性教育",
        "全体党员",
        venue,
        86,
        end=day(year, end),
        end_style="cn" if cross_month else None,
    )
    for when in p["traffic"]:
        add(day(year, when), "文明交通志愿服务", "文明交通劝导志愿服务", "青年志愿者", "县城主要路口", 15)
    for when in p["home"]:
        add(day(year, when), "入户走访", "“双提升”入户走访", "挂点村帮扶干部", "挂点村", 20)
    for when in p["drills"]:
        add(day(year, when), "演练", "核酸检测信息系统运用实战演练", "抽调干部", "县全民核酸检测指挥部", 12)
    for when, visitors in p["open_days"]:
        add(day(year, when), "开放日", "党委书记“为民办事开放日”", "来访群众、离休干部、客商", "局一楼接待室", visitors)
    for kind, when in p["extras"]:
        title, audience, venue = EXTRA_TITLES[kind]
        when_d = day(year, when)
        if kind == "其他" and when_d.month in EXTRA_OTHER_TITLES:
            title = EXTRA_OTHER_TITLES[when_d.month]
        add(when_d, kind, title.format(m=when_d.month), audience, venue, 40)

    on_time = sorted((r for r in rows if not r["late"]), key=lambda r: r["date"])
    return on_time + [r for r in rows if r["late"]]


def survey_rows(code: str, year: int, p: dict[str, Any]) -> list[dict[str, Any]]:
    """大调研 problems: statuses interleaved, dates spread from April to November."""
    resolved, longterm, pending = p["survey"]
    queues = {已解决: resolved, 长期坚持: longterm, 办理中: pending}
    pattern = [已解决, 已解决, 长期坚持, 已解决, 办理中]
    statuses: list[str] = []
    i = 0
    while len(statuses) < resolved + longterm + pending:
        status = pattern[i % len(pattern)]
        if queues[status]:
            queues[status] -= 1
            statuses.append(status)
        i += 1
    n = len(statuses)
    offset = SURVEY_OFFSET[(code, year)]
    prefix = BUREAUS[code]["prefix"]
    rows = []
    for k, status in enumerate(statuses):
        raised = date(year, 4 + (k * 8) // n, 3 + (k * 11) % 25)
        resolved_on = None
        if status == 已解决:
            resolved_on = date.fromordinal(raised.toordinal() + 12 + k % 9)
        rows.append(
            {
                "bureau": code,
                "id": f"{prefix}-{year}-DY{k + 1:02d}",
                "source": "大调研",
                "raised": raised,
                "status": status,
                "resolved_on": resolved_on,
                "summary": SURVEY_SUMMARIES[(offset + k) % len(SURVEY_SUMMARIES)],
                "late": False,
                "date_style": None,
            }
        )
    return rows


def problem_rows(code: str, year: int, p: dict[str, Any]) -> list[dict[str, Any]]:
    """The 问题台账 rows of one bureau-year, in ledger order (by date, late ones last)."""
    prefix = BUREAUS[code]["prefix"]
    rows = survey_rows(code, year, p)
    for entry in p["open_problems"]:
        pid, raised, status, resolved_on, summary, late = entry[:6]
        rows.append(
            {
                "bureau": code,
                "id": f"{prefix}-{year}-{pid}",
                "source": "开放日",
                "raised": day(year, raised),
                "status": status,
                "resolved_on": day(year, resolved_on) if resolved_on else None,
                "summary": summary,
                "late": late,
                "date_style": entry[6] if len(entry) > 6 else None,
            }
        )
    for pid, raised, status, resolved_on, summary in p["other_problems"]:
        rows.append(
            {
                "bureau": code,
                "id": f"{prefix}-{year}-{pid}",
                "source": "其他",
                "raised": day(year, raised),
                "status": status,
                "resolved_on": day(year, resolved_on) if resolved_on else None,
                "summary": summary,
                "late": False,
                "date_style": None,
            }
        )
    on_time = sorted((r for r in rows if not r["late"]), key=lambda r: r["raised"])
    return on_time + [r for r in rows if r["late"]]


def noise_activity(entry: tuple) -> dict[str, Any]:
    bureau, when, kind, title, audience, venue, people = entry
    return {
        "bureau": bureau,
        "date": iso(when),
        "end_date": None,
        "kind": kind,
        "title": title,
        "audience": audience,
        "venue": venue,
        "participants": people,
        "notes": "",
        "late": False,
        "date_style": None,
        "end_style": None,
    }


# --------------------------------------------------------------------------- expected


def expected_figures(code: str, year: int, p: dict[str, Any], problems: list[dict[str, Any]]) -> dict[str, str]:
    """The text each blank should show, from the plan (not from the written files)."""
    bureau = BUREAUS[code]
    lectures = sorted(day(year, d) for d, _ in p["lectures"])
    youth_day, youth_venue = p["youth"]
    start, end, members_venue = p["members"]
    resolved_s, longterm_s, pending_s = p["survey"]
    # problems is this bureau-year's ledger order; pick open-day ones by date, then position
    open_rows = [(r["raised"], i, r) for i, r in enumerate(problems) if r["source"] == "开放日"]
    open_resolved = sorted((t for t in open_rows if t[2]["status"] == 已解决), key=lambda t: t[:2])
    fin = {name: (Decimal(v), unit) for name, (v, unit, _) in p["finance"].items()}

    def wan(indicator: str) -> Decimal:
        value, unit = fin[indicator]
        return value * TO_WAN[unit]

    def yi(indicator: str) -> Decimal:
        value, unit = fin[indicator]
        return value * TO_YI[unit]

    return {
        "bureau_name": bureau["name"],
        "year": str(year),
        "kickoff_date": md(min(day(year, d) for d, _, _ in p["kickoffs"])),
        "office_director": bureau["office_director"],
        "liaison": bureau["liaison"],
        "plan_date": md(day(year, p["plan"])),
        "lecture_months": month_span(lectures[0], lectures[-1]),
        "lecture_branches": str(len({b for _, b in p["lectures"]})),
        "youth_visit_date": md(day(year, youth_day)),
        "youth_visit_venue": youth_venue,
        "members_visit_dates": md_range(day(year, start), day(year, end)),
        "members_visit_venue": members_venue,
        "survey_collected": str(resolved_s + longterm_s + pending_s),
        "survey_resolved": str(resolved_s),
        "survey_longterm": str(longterm_s),
        "traffic_volunteer_count": str(len(p["traffic"])),
        "home_visit_count": str(len(p["home"])),
        "drill_count": str(len(p["drills"])),
        "livelihood_funds": whole(wan("民生配套资金")) + "万",
        "boarding_meal_funds": two_places(wan("寄宿生营养餐补助资金")),
        "student_aid_funds": two_places(wan("贫困学生资助金")),
        "student_aid_persons": plain(fin["资助贫困学生人次"][0]),
        "agri_budget": two_places(wan("支农支出预算")),
        "agri_spending": two_places(wan("农林水事务支出")),
        "through_month": str(p["through"] or 12),
        "farm_subsidy_funds": two_places(wan("惠农补贴资金")),
        "livelihood_project_funds": two_places(wan("民生工程项目资金")),
        "open_day_visitors": str(sum(n for _, n in p["open_days"])),
        "open_day_problems": str(len(open_rows)),
        "open_day_examples": "、".join(t[2]["summary"] for t in open_resolved[:2]),
        "open_day_resolved": str(len(open_resolved)),
        "fiscal_revenue": two_places(yi("财政总收入")),
        "tax_revenue": two_places(yi("税收收入")),
        "general_budget_revenue": two_places(yi("一般公共预算收入")),
    }


# --------------------------------------------------------------------------- writing


class DateStyler:
    """Most date cells are real dates; every sixth is typed as text, forms in turn."""

    FORMS = ("slash", "dot", "cn", "compact")

    def __init__(self) -> None:
        self.count = 0
        self.forms = 0

    def __call__(self, value: date | None, forced: str | None = None) -> date | str | None:
        if value is None:
            return None
        self.count += 1
        if forced:
            return date_text(value, forced)
        if self.count % 6 == 0:
            self.forms += 1
            return date_text(value, self.FORMS[(self.forms - 1) % len(self.FORMS)])
        return value


def finance_cell(value: str, how: str) -> int | float | str:
    number = Decimal(value)
    if how == "num":
        return float(value) if "." in value else int(value)
    if how == "comma":
        return format(number, ",")
    if how == "pad":
        return f" {value} "
    return value


def write_sheet(ws, headers: list[str], rows: list[list[Any]], blank_after: tuple[int, ...]) -> None:
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, row in enumerate(rows, start=1):
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.number_format = "@"
        if i in blank_after:
            ws.append([])  # an empty row in the middle, as offices leave them
    widths = [max(len(str(h)) * 2 + 2, 12) for h in headers]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(width + 6, 40)
    ws.freeze_panes = "A2"


def save_reproducibly(wb: openpyxl.Workbook, path: Path) -> None:
    """Save with fixed timestamps, so that rerunning the script changes no byte."""
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = "2023-01-01T00:00:00Z"
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rf"\g<1>{stamp}", data.decode("utf-8"))
                data = text.encode("utf-8")
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=(2023, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def main() -> None:
    activities: dict[tuple[str, int], list[dict[str, Any]]] = {}
    problems: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for (code, year), p in PLAN.items():
        activities[(code, year)] = activity_rows(code, year, p)
        problems[(code, year)] = problem_rows(code, year, p)

    # ---- workbook: 活动台账 (all bureaus but fengling), 问题台账 (all but meiling), 财政指标
    wb = openpyxl.Workbook()
    styler = DateStyler()
    ws = wb.active
    ws.title = "活动台账"
    act_rows = []
    for code in BUREAUS:
        if code == CSV_ACTIVITIES_BUREAU:
            continue
        noise = [noise_activity(n) for n in NOISE_ACTIVITIES if n[0] == code]
        act_rows += [r for r in noise if r["date"].year < 2021]
        act_rows += [r for (c, _), rs in activities.items() if c == code for r in rs]
        act_rows += [r for r in noise if r["date"].year > 2022]
    clerk_rows = []
    for k, r in enumerate(act_rows):
        people: int | str | None = r["participants"]
        if r["kind"] == "开放日" and k % 2 == 0:
            people = str(people)  # a count typed as text
        clerk_rows.append(
            [
                r["bureau"],
                r["kind"],
                styler(r["date"], r["date_style"]),
                styler(r["end_date"], r["end_style"]),
                r["title"],
                r["audience"],
                people,
                r["venue"],
                r["notes"] or None,
                BUREAUS[r["bureau"]]["clerk"],
            ]
        )
    write_sheet(
        ws,
        ["单位代码", "活动类型", "日期", "结束日期", "活动名称", "参加对象", "人数", "地点", "备注", "录入人"],
        clerk_rows,
        blank_after=(37, 150),
    )

    ws = wb.create_sheet("问题台账")
    prob_rows = []
    for code in BUREAUS:
        if code == CSV_PROBLEMS_BUREAU:
            continue
        prob_rows += [n for n in NOISE_PROBLEMS if n[0] == code and n[3] < "2021"]
        prob_rows += [r for (c, _), rs in problems.items() if c == code for r in rs]
        prob_rows += [n for n in NOISE_PROBLEMS if n[0] == code and n[3] > "2022"]
    out = []
    for r in prob_rows:
        if isinstance(r, tuple):
            bureau, pid, source, raised, status, resolved_on, summary = r
            out.append(
                [
                    bureau,
                    pid,
                    source,
                    styler(iso(raised)),
                    summary,
                    status,
                    styler(iso(resolved_on)) if resolved_on else None,
                    BUREAUS[bureau]["clerk"],
                ]
            )
        else:
            out.append(
                [
                    r["bureau"],
                    r["id"],
                    r["source"],
                    styler(r["raised"], r["date_style"]),
                    r["summary"],
                    r["status"],
                    styler(r["resolved_on"]),
                    BUREAUS[r["bureau"]]["clerk"],
                ]
            )
    write_sheet(
        ws,
        ["单位代码", "问题编号", "来源", "收集日期", "问题描述", "办理状态", "办结日期", "录入人"],
        out,
        blank_after=(25, 90),
    )

    ws = wb.create_sheet("财政指标")
    out = []
    k = 0
    for (code, year), p in PLAN.items():
        for indicator, (value, unit, how) in p["finance"].items():
            k += 1
            year_cell: int | str = str(year) if k % 9 == 4 else year  # a year typed as text
            out.append(
                [year_cell, code, indicator, finance_cell(value, how), unit, p["through"], BUREAUS[code]["clerk"]]
            )
    for code, year, indicator, through, value, unit in NOISE_FINANCE:
        out.append([year, code, indicator, finance_cell(value, "num"), unit, through, BUREAUS[code]["clerk"]])
    write_sheet(ws, ["年度", "单位代码", "指标", "数值", "计量单位", "截至月份", "录入人"], out, blank_after=(30,))

    SAMPLE.mkdir(parents=True, exist_ok=True)
    save_reproducibly(wb, WORKBOOK)

    # ---- activities.csv: GBK, English headers, fengling's activities only
    CSV_DIR.mkdir(parents=True, exist_ok=True)
    csv_forms = ("iso", "iso", "slash", "iso", "dot", "cn", "compact")
    rows = [r for (c, _), rs in activities.items() if c == CSV_ACTIVITIES_BUREAU for r in rs]
    rows += [noise_activity(n) for n in NOISE_ACTIVITIES if n[0] == CSV_ACTIVITIES_BUREAU]
    with ACTIVITIES_CSV.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["bureau", "date", "end_date", "kind", "title", "audience", "venue", "participants", "notes", "recorded_by"]
        )
        for k, r in enumerate(rows):
            end = r["end_date"]
            writer.writerow(
                [
                    r["bureau"],
                    date_text(r["date"], csv_forms[k % len(csv_forms)]),
                    date_text(end, r["end_style"] or "iso") if end else "",
                    r["kind"],
                    r["title"],
                    r["audience"],
                    r["venue"],
                    "" if r["participants"] is None else r["participants"],
                    r["notes"],
                    BUREAUS[r["bureau"]]["clerk"],
                ]
            )
            if k == 20:
                writer.writerow([""] * 10)  # an empty row

    # ---- problems.csv: UTF-8 with BOM, Chinese headers, meiling's problems only
    csv_forms = ("iso", "slash", "iso", "compact", "iso", "dot")
    rows = [r for (c, _), rs in problems.items() if c == CSV_PROBLEMS_BUREAU for r in rs]
    with PROBLEMS_CSV.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["单位代码", "问题编号", "收集日期", "来源", "办理状态", "办结日期", "问题描述"])
        for k, r in enumerate(rows):
            writer.writerow(
                [
                    r["bureau"],
                    r["id"],
                    date_text(r["raised"], csv_forms[k % len(csv_forms)]),
                    r["source"],
                    r["status"],
                    date_text(r["resolved_on"], "iso") if r["resolved_on"] else "",
                    r["summary"],
                ]
            )
        for bureau, pid, source, raised, status, resolved_on, summary in NOISE_PROBLEMS:
            if bureau == CSV_PROBLEMS_BUREAU:
                writer.writerow([bureau, pid, raised, source, status, resolved_on or "", summary])

    # ---- bureau parameters
    PARAMS.mkdir(parents=True, exist_ok=True)
    for code, b in BUREAUS.items():
        text = (
            f"# Fictional sample bureau (data/sample).\n"
            f"name: {b['name']}\noffice_director: {b['office_director']}\n"
            f"liaison: {b['liaison']}\n"
        )
        if code == "qingshan":
            text += "narrative:\n  2022:\n"
            for key, body in QINGSHAN_NARRATIVE_2022.items():
                text += f"    {key}: |\n"
                for line in body.splitlines():
                    text += f"      {line}\n" if line else "\n"
        (PARAMS / f"{code}.yaml").write_text(text, encoding="utf-8")

    # ---- expected figures
    EXPECTED.mkdir(parents=True, exist_ok=True)
    for (code, year), p in PLAN.items():
        figures = expected_figures(code, year, p, problems[(code, year)])
        path = EXPECTED / f"{code}-{year}.json"
        path.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print(
        f"wrote {WORKBOOK.relative_to(ROOT)}, {ACTIVITIES_CSV.relative_to(ROOT)}, "
        f"{PROBLEMS_CSV.relative_to(ROOT)}, {len(BUREAUS)} parameter files, "
        f"{len(PLAN)} expected-figure files"
    )


if __name__ == "__main__":
    main()
