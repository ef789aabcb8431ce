"""Every front-end file the templates and scripts reference under static/vendor/ is one `make assets` provides."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders

BASE_DIR = Path(__file__).resolve().parents[3]
VENDOR_REFERENCE = re.compile(r"""["'](vendor/[A-Za-z0-9_./-]+)["']""")


def referenced_vendor_files() -> set[str]:
    sources = [*BASE_DIR.joinpath("templates").rglob("*.html"), *BASE_DIR.joinpath("chiiki").rglob("*.html"),
               *BASE_DIR.joinpath("static", "js").rglob("*.js")]
    return {match for path in sources for match in VENDOR_REFERENCE.findall(path.read_text(encoding="utf-8"))}


def test_templates_reference_vendor_files():
    # Guards the scan itself: base.html always loads the design tokens and htmx.
    assert {"vendor/design-tokens/tokens.css", "vendor/htmx/htmx.min.js"} <= referenced_vendor_files()


def test_every_referenced_vendor_file_is_built_by_make_assets():
    makefile = BASE_DIR.joinpath("Makefile").read_text(encoding="utf-8")
    provided = {f"vendor/{dest}" for dest in re.findall(r"^\t\S+:(\S+)(?: \\)?$", makefile, flags=re.MULTILINE)}
    missing_from_makefile = sorted(referenced_vendor_files() - provided)
    assert not missing_from_makefile, f"not in the Makefile's VENDOR_FILES: {missing_from_makefile}"
    not_built = sorted(path for path in provided if finders.find(path) is None)
    assert not not_built, f"run `make assets`: {not_built}"


def test_leaflet_css_finds_its_images():
    css = Path(finders.find("vendor/leaflet/leaflet.css")).read_text(encoding="utf-8")
    for image in re.findall(r"url\((images/[^)]+)\)", css):
        assert finders.find(f"vendor/leaflet/{image}"), image
