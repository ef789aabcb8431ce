from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    name = "chiiki.roadmap"
    label = "roadmap"
    verbose_name = "ロードマップ（分野・KPI）"
