from ninja import Router

router = Router(tags=["支援メニュー"])
