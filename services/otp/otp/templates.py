"""The SMS texts, in Chinese, signed with the platform's name."""

from __future__ import annotations

from dataclasses import dataclass

PLATFORM = "科技部政务服务平台"
SIGNATURE = f"【{PLATFORM}】"

PURPOSE_LABELS = {
    "register_person": "自然人用户注册",
    "register_organization": "法人用户注册",
    "password_reset": "找回密码",
    "appeal": "申诉找回密码",
    "change_phone": "更换手机号码",
    "login_unlock": "解除登录锁定",
}

MAX_PARAM_LENGTH = 64


def code_text(code: str, purpose: str, ttl_seconds: int) -> str:
    minutes = max(1, ttl_seconds // 60)
    return (
        f"{SIGNATURE}您的验证码为{code}，用于{PURPOSE_LABELS[purpose]}，"
        f"{minutes}分钟内有效。请勿将验证码告知他人。"
    )


@dataclass(frozen=True)
class Notice:
    params: tuple[str, ...]
    text: str


NOTICES = {
    "temporary_password": Notice(
        ("login_name", "password"),
        SIGNATURE + "您的申诉已审核通过。登录名：{login_name}，临时密码：{password}。"
        "请尽快登录并修改密码，切勿将密码告知他人。",
    ),
    "appeal_rejected": Notice(
        ("appeal_id", "ticket", "reason"),
        SIGNATURE + "您的申诉（受理编号：{appeal_id}，查询码：{ticket}）未通过审核，"
        "原因：{reason}。您可凭受理编号和查询码查询详情。",
    ),
    "password_changed": Notice(
        ("login_name",),
        SIGNATURE
        + "您的账号{login_name}的密码已修改。如非本人操作，请立即联系平台技术支持。",
    ),
}


class TemplateUnknown(ValueError):
    pass


class ParamsInvalid(ValueError):
    pass


def notice_text(template: object, params: object) -> str:
    """The text of a notice; raises TemplateUnknown or ParamsInvalid."""
    notice = NOTICES.get(template) if isinstance(template, str) else None
    if notice is None:
        raise TemplateUnknown(f"unknown template; known: {sorted(NOTICES)}")
    if not isinstance(params, dict) or set(params) != set(notice.params):
        raise ParamsInvalid(f"{template} takes exactly {list(notice.params)}")
    for name, value in params.items():
        if (
            not isinstance(value, str)
            or not value
            or len(value) > MAX_PARAM_LENGTH
            or not value.isprintable()
        ):
            raise ParamsInvalid(
                f"{name} must be 1 to {MAX_PARAM_LENGTH} printable characters"
            )
    return notice.text.format(**params)
