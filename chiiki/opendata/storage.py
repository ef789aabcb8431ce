"""Where uploaded resource files live: the filesystem under var/ by default (settings.OPENDATA_FILES_DIR), an
S3-compatible bucket through django-storages when OPENDATA_S3_BUCKET is set (settings.OPENDATA_STORAGE)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages


class ResourceFileStorage(FileSystemStorage):
    """The filesystem storage, its directory read from settings on every use (tests point it elsewhere).

    base_url is unused: files are served only through the download view, which checks visibility."""

    @property
    def base_location(self):
        return str(settings.OPENDATA_FILES_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def resource_storage():
    """A callable (not an instance) so the migration does not freeze the storage configuration."""
    backend = getattr(settings, "OPENDATA_STORAGE", None)
    if backend:
        return storages.create_storage(backend)
    return ResourceFileStorage()
