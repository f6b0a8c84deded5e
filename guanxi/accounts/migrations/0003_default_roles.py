from django.db import migrations


def create_default_roles(apps, schema_editor):
    from guanxi.accounts import default_roles, registry

    Role = apps.get_model("accounts", "Role")
    for definition in default_roles.definitions():
        if Role.objects.filter(code=definition["code"]).exists():
            continue
        Role.objects.create(
            code=definition["code"],
            name=definition["name"],
            name_en=definition["name_en"],
            description=definition["description"],
            description_en=definition["description_en"],
            permissions=registry.validate_permissions(definition["permissions"]),
            requires_2fa=definition["requires_2fa"],
        )


def remove_default_roles(apps, schema_editor):
    from guanxi.accounts import default_roles

    Role = apps.get_model("accounts", "Role")
    codes = [definition["code"] for definition in default_roles.definitions()]
    Role.objects.filter(code__in=codes, users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_role")]

    operations = [migrations.RunPython(create_default_roles, remove_default_roles)]
