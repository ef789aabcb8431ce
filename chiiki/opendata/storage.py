"""Where uploaded resource files live: the filesystem under var/ by default (settings.OPENDATA_FILES_DIR), an
S3-compatible bucket through django-storages when OPENDATA_S3_BUCKET is set (settings.OPENDATA_STORAGE).

Files are served only through the download view, which checks visibility (庁内限定 → 404 for others): the
storage's own URLs (a bucket URL, MEDIA_URL) are never shown, so the bucket can stay private.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class ResourceFileStorage(FileSystemStorage):
    """The filesystem storage, its directory read from settings on every use (tests point it elsewhere).

    base_url is unused: files are served only through the download view, which checks visibility."""

    @property
    def base_location(self):
        return str(settings.OPENDATA_FILES_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


class ConfiguredStorage(LazyObject):
    """The configured backend, built on first use and rebuilt when OPENDATA_STORAGE changes (as Django's
    default_storage is): the model field holds this one object, so the choice is not frozen at import."""

    def _setup(self):
        backend = getattr(settings, "OPENDATA_STORAGE", None)
        self._wrapped = storages.create_storage(backend) if backend else ResourceFileStorage()


resource_files = ConfiguredStorage()


@receiver(setting_changed)
def _storage_setting_changed(*, setting, **kwargs):
    if setting == "OPENDATA_STORAGE":
        resource_files._wrapped = empty


def resource_storage():
    """A callable (not an instance) so the migration does not freeze the storage configuration."""
    return resource_files
