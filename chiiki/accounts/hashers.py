"""Password hashing with a bounded memory cost per login.

Django's Argon2 defaults (memory_cost 102,400 KiB, parallelism 8) make every password check allocate 100 MB: one
login raised a gunicorn worker's peak from ~110 to ~210 MB, and four threads logging in at once could take a worker
past 500 MB. We use the OWASP Password Storage Cheat Sheet's minimum Argon2id configuration instead (19 MiB, 2
iterations, 1 lane; docs/decisions/0020-password-hashing-memory.md). The algorithm name stays "argon2", so hashes
made with Django's defaults still verify and are re-hashed with these parameters at the next login (must_update).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1
