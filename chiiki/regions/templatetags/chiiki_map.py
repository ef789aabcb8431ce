"""{% map_assets %}: the map's CSS/JS tags, emitted once per page however many maps it has."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html_join

register = template.Library()

CSS = ["vendor/leaflet/leaflet.css"]
JS = ["vendor/leaflet/leaflet.js", "vendor/topojson-client/topojson-client.min.js", "js/map.js"]


@register.simple_tag(takes_context=True)
def map_assets(context):
    request = context.get("request")
    holder = request if request is not None else context.render_context
    if getattr(holder, "_chiiki_map_assets", False) if request is not None else holder.get("_chiiki_map_assets"):
        return ""
    if request is not None:
        request._chiiki_map_assets = True
    else:
        holder["_chiiki_map_assets"] = True
    css = format_html_join("", '<link rel="stylesheet" href="{}">', ((static(p),) for p in CSS))
    js = format_html_join("", '<script src="{}" defer></script>', ((static(p),) for p in JS))
    return css + js
