from django.db import migrations


def create_defaults(apps, schema_editor):
    from guanxi.sales import defaults

    defaults.seed(
        apps.get_model("sales", "Pipeline"),
        apps.get_model("sales", "Stage"),
        apps.get_model("sales", "CloseReason"),
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
