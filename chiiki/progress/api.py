from ninja import Router

router = Router(tags=["進捗状況"])
