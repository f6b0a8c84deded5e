from django.db import migrations


def create_pool(apps, schema_editor):
    from guanxi.sales import defaults

    defaults.seed_pool(apps.get_model("sales", "PublicPool"))


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_leads_and_pools")]

    operations = [migrations.RunPython(create_pool, migrations.RunPython.noop)]
