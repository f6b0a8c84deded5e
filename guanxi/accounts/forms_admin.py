"""Forms of the administration pages: they parse and validate input; services do the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import registry
from guanxi.accounts.models import Department, Language, Role, User


class StyledForm(forms.Form):
    """Tabler classes on every widget."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            widget = self.fields[name].widget if name in self.fields else None
            if widget is not None and "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


def _departments() -> Any:
    return Department.objects.order_by("path")


def _active_users() -> Any:
    return User.objects.filter(is_active=True).order_by("username")


class UserFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none(), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Deactivated"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _departments()
        self.fields["role"].queryset = Role.objects.order_by("id")

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        status = {"active": True, "inactive": False}.get(data.get("status") or "")
        return {
            "q": data.get("q") or "",
            "department": data["department"].pk if data.get("department") else None,
            "role": data["role"].pk if data.get("role") else None,
            "is_active": status,
        }


class UserForm(StyledForm):
    """A user's profile and access, as the administrator edits it."""

    display_name = forms.CharField(label=_("Display name"), required=False, max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    mobile = forms.CharField(label=_("Mobile"), required=False, max_length=32)
    department = DepartmentChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A user without a role can sign in but sees nothing."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _departments()
        self.fields["roles"].queryset = Role.objects.order_by("id")


class UserCreateForm(UserForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to set it later; the account cannot sign in until then."),
    )
    field_order = ["username", "display_name", "email", "mobile", "department", "language"]


class PasswordResetForm(StyledForm):
    password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class DeactivateForm(StyledForm):
    transfer_to = UserChoiceField(
        label=_("Give her customers to"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Every customer she owns goes to this colleague in the same step."),
    )

    def __init__(self, *args: Any, exclude: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = _active_users()
        if exclude is not None:
            users = users.exclude(pk=exclude.pk)
        self.fields["transfer_to"].queryset = users


class TransferForm(StyledForm):
    from_user = UserChoiceField(label=_("From"), queryset=User.objects.none())
    to_user = UserChoiceField(label=_("To"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = User.objects.order_by("username")
        self.fields["to_user"].queryset = _active_users()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            self.add_error("to_user", _("Choose another user as the new owner."))
        return data


class DepartmentForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = DepartmentChoiceField(
        label=_("Parent department"), queryset=Department.objects.none(), required=False
    )
    manager = UserChoiceField(label=_("Manager"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = _departments()
        self.fields["manager"].queryset = _active_users()


SCOPE_CHOICES = [
    ("own", _("Own")),
    ("department", _("Department")),
    ("all", _("All")),
]
FIELD_RULE_CHOICES = [("show", _("Show")), ("mask", _("Mask")), ("hide", _("Hide"))]
ACTION_LABELS = {
    "view": _("View"),
    "create": _("Create"),
    "edit": _("Edit"),
    "delete": _("Delete"),
    "export": _("Export"),
    "import": _("Import"),
    "admin": _("Administer"),
}


class RoleForm(StyledForm):
    """A role: names, 2FA, and a grid of actions and scope per module with field rules."""

    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_en = forms.CharField(
        label=_("English description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    requires_2fa = forms.BooleanField(
        label=_("Requires two-factor authentication"),
        required=False,
        help_text=_("Holders must confirm every sign-in with a code from an authenticator app."),
    )

    def __init__(self, *args: Any, role: Role | None = None, **kwargs: Any) -> None:
        if role is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(role)
        super().__init__(*args, **kwargs)
        for info in registry.modules():
            for action in info.actions:
                self.fields[f"perm__{info.name}__{action}"] = forms.BooleanField(
                    label=ACTION_LABELS[action],
                    required=False,
                    widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
                )
            if info.scoped:
                self.fields[f"scope__{info.name}"] = forms.ChoiceField(
                    label=_("Data scope"),
                    choices=SCOPE_CHOICES,
                    initial="own",
                    required=False,
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                )
            for field_name, label in info.fields.items():
                self.fields[f"field__{info.name}__{field_name}"] = forms.ChoiceField(
                    label=label,
                    choices=FIELD_RULE_CHOICES,
                    initial="show",
                    required=False,
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                )

    @staticmethod
    def initial_for(role: Role) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": role.name,
            "name_en": role.name_en,
            "description": role.description,
            "description_en": role.description_en,
            "requires_2fa": role.requires_2fa,
        }
        for module, rule in (role.permissions or {}).items():
            for action in rule.get("actions", []):
                initial[f"perm__{module}__{action}"] = True
            initial[f"scope__{module}"] = rule.get("scope", "own")
            fields = rule.get("fields") or {}
            for name in fields.get("masked", []):
                initial[f"field__{module}__{name}"] = "mask"
            for name in fields.get("hidden", []):
                initial[f"field__{module}__{name}"] = "hide"
        return initial

    def grid(self) -> list[dict[str, Any]]:
        """Rows for the template: one per module with its checkboxes, scope and field rules."""
        rows = []
        for info in registry.modules():
            rows.append(
                {
                    "module": info,
                    "actions": {
                        action: self[f"perm__{info.name}__{action}"] for action in info.actions
                    },
                    "scope": self[f"scope__{info.name}"] if info.scoped else None,
                    "fields": [self[f"field__{info.name}__{name}"] for name in info.fields],
                }
            )
        return rows

    @staticmethod
    def action_columns() -> list[tuple[str, Any]]:
        return [(action, ACTION_LABELS[action]) for action in registry.ACTIONS]

    def permissions(self) -> dict[str, Any]:
        data = self.cleaned_data
        permissions: dict[str, Any] = {}
        for info in registry.modules():
            actions = [a for a in info.actions if data.get(f"perm__{info.name}__{a}")]
            rules = {name: data.get(f"field__{info.name}__{name}") for name in info.fields}
            masked = sorted(name for name, rule in rules.items() if rule == "mask")
            hidden = sorted(name for name, rule in rules.items() if rule == "hide")
            if not actions:
                continue
            permissions[info.name] = {
                "actions": actions,
                "scope": data.get(f"scope__{info.name}") or "all",
                "fields": {"hidden": hidden, "masked": masked},
            }
        return permissions

    def role_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "name_en": data.get("name_en", ""),
            "description": data.get("description", ""),
            "description_en": data.get("description_en", ""),
            "requires_2fa": bool(data.get("requires_2fa")),
            "permissions": self.permissions(),
        }
