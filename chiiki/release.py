"""The running release's fingerprint: a digest of the package (code, app templates, translations), of the
project's templates, of the static files it serves, of the reference data it reads (data/) and of the installed
distributions' versions (Django, pydantic… whose objects the cache pickles).

A shared cache (Redis) outlives the processes that fill it. Its keys carry this fingerprint, so after a deploy no
page rendered by the previous templates is served (the page cache would otherwise keep it until the data it shows
changes, up to an hour) and no value pickled by the previous code is read by the new one; two releases running side
by side during a rolling restart keep apart. Read once per process at start-up, and only with a shared cache
(about 0.15 s).
"""

import hashlib
from importlib.metadata import distributions
from pathlib import Path


def fingerprint(*roots: Path) -> str:
    """12 hex digits over every file under `roots` (relative path and content, in path order; bytecode caches
    left out, as they follow the sources)."""
    digest = hashlib.sha256()
    for root in roots:
        if not root.is_dir():
            digest.update(f"(no {root.name})".encode())
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


# What a deploy replaces, relative to the project's root (settings.BASE_DIR).
RELEASE_DIRS = ("chiiki", "templates", "static", "data")


def release_key(base_dir: Path) -> str:
    installed = "\n".join(sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions()))
    digest = hashlib.sha256(fingerprint(*(base_dir / name for name in RELEASE_DIRS)).encode())
    digest.update(installed.encode())
    return digest.hexdigest()[:12]
