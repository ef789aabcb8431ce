from ninja import Router

router = Router(tags=["団体"])
