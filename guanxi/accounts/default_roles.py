"""The roles a new installation starts with (plain data; created by a data migration).

Every role can be edited or removed by an administrator afterwards; ``code`` lets the system find
a shipped role again (for fixtures and documentation), and is empty for roles made by hand.
"""

from __future__ import annotations

from typing import Any

ALL = ["view", "create", "edit", "delete", "export", "import", "admin"]
WORK = ["view", "create", "edit", "delete", "export", "import"]
CONTACT_DATA = ["phone", "mobile", "email", "wechat", "address"]

SYSTEM_ADMINISTRATOR = "system_administrator"
SALES_DIRECTOR = "sales_director"
SALES_MANAGER = "sales_manager"
SALES_REP = "sales_rep"
SERVICE_AGENT = "service_agent"
MARKETING = "marketing"
AUDITOR = "auditor"


def _every_module(actions: list[str], scope: str = "all") -> dict[str, Any]:
    from guanxi.accounts import registry

    return {
        info.name: {
            "actions": [a for a in actions if a in info.actions],
            "scope": scope if info.scoped else "all",
        }
        for info in registry.modules()
    }


def definitions() -> list[dict[str, Any]]:
    """The shipped roles, in the order they are listed."""
    return [
        {
            "code": SYSTEM_ADMINISTRATOR,
            "name": "系统管理员",
            "name_en": "System administrator",
            "description": "所有模块的全部权限，包括用户、角色和系统设置。",
            "description_en": "Everything, in every module, including users, roles and settings.",
            "permissions": _every_module(ALL),
            "requires_2fa": False,
        },
        {
            "code": SALES_DIRECTOR,
            "name": "销售总监",
            "name_en": "Sales director",
            "description": "全公司的客户和商机；可导入导出。",
            "description_en": "All customers and deals of the company; imports and exports.",
            "permissions": {
                "customers": {"actions": WORK, "scope": "all"},
                "sales": {"actions": WORK, "scope": "all"},
                "analytics": {"actions": ["view", "export"], "scope": "all"},
                "dataio": {"actions": ["view", "import", "export"], "scope": "all"},
            },
            "requires_2fa": False,
        },
        {
            "code": SALES_MANAGER,
            "name": "销售经理",
            "name_en": "Sales manager",
            "description": "本部门及下级部门的客户和商机。",
            "description_en": "Customers and deals of her department and those below it.",
            "permissions": {
                "customers": {
                    "actions": ["view", "create", "edit", "delete", "export"],
                    "scope": "department",
                },
                "sales": {
                    "actions": ["view", "create", "edit", "delete", "export"],
                    "scope": "department",
                },
                "analytics": {"actions": ["view"], "scope": "department"},
            },
            "requires_2fa": False,
        },
        {
            "code": SALES_REP,
            "name": "销售代表",
            "name_en": "Sales rep",
            "description": "自己负责和协作的客户。",
            "description_en": "Her own customers and those she collaborates on.",
            "permissions": {
                "customers": {
                    "actions": ["view", "create", "edit", "delete", "export"],
                    "scope": "own",
                },
                "sales": {"actions": ["view", "create", "edit", "delete"], "scope": "own"},
            },
            "requires_2fa": False,
        },
        {
            "code": SERVICE_AGENT,
            "name": "客服专员",
            "name_en": "Service agent",
            "description": "查看所有客户并记录跟进；处理工单。",
            "description_en": "Looks up every customer and records interactions; works on tickets.",
            "permissions": {
                "customers": {
                    "actions": ["view", "edit"],
                    "scope": "all",
                    "fields": {"hidden": [], "masked": ["email", "address"]},
                },
                "service": {"actions": ["view", "create", "edit"], "scope": "all"},
            },
            "requires_2fa": False,
        },
        {
            "code": MARKETING,
            "name": "市场专员",
            "name_en": "Marketing",
            "description": "面向所有客户的分群和营销活动，不含联系方式。",
            "description_en": "Segments and campaigns over all customers, without contact data.",
            "permissions": {
                "customers": {
                    "actions": ["view", "export"],
                    "scope": "all",
                    "fields": {
                        "hidden": ["address", "wechat"],
                        "masked": ["phone", "mobile", "email"],
                    },
                },
                "marketing": {"actions": WORK, "scope": "all"},
                "analytics": {"actions": ["view"], "scope": "all"},
            },
            "requires_2fa": False,
        },
        {
            "code": AUDITOR,
            "name": "只读审计员",
            "name_en": "Read-only auditor",
            "description": "只读查看所有数据和操作日志，不能修改；联系方式脱敏显示。",
            "description_en": "Reads all and the audit log, changes nothing; contact data masked.",
            "permissions": {
                **_every_module(["view"]),
                "customers": {
                    "actions": ["view"],
                    "scope": "all",
                    "fields": {"hidden": [], "masked": CONTACT_DATA},
                },
                "audit": {"actions": ["view", "export"], "scope": "all"},
            },
            "requires_2fa": False,
        },
    ]
