"""API schemas every app shares."""

from ninja import Schema


class ErrorOut(Schema):
    """Every error answer under /api/v1: `detail` is the reason in Japanese (per field for bad input)."""

    detail: str | list | dict
