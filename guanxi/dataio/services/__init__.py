"""Every write of the import/export app (see the modules for each use case)."""

from guanxi.dataio.services.bulk import (
    import_contacts_commit,
    import_customers_commit,
    import_interactions_commit,
)
from guanxi.dataio.services.imports import (
    import_job_cancel,
    import_job_configure,
    import_job_create,
    import_job_resume,
    import_job_run,
    import_job_start,
    import_job_undo,
    import_jobs_resume_stalled,
    import_mapping_delete,
    import_mapping_save,
)

__all__ = [
    "import_contacts_commit",
    "import_customers_commit",
    "import_interactions_commit",
    "import_job_cancel",
    "import_job_configure",
    "import_job_create",
    "import_job_resume",
    "import_job_run",
    "import_job_start",
    "import_job_undo",
    "import_jobs_resume_stalled",
    "import_mapping_delete",
    "import_mapping_save",
]
