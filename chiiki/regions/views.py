from django.shortcuts import get_object_or_404, render

from .models import Municipality, Prefecture


def municipality_list(request):
    return render(request, "regions/municipality_list.html", {"municipalities": Municipality.objects.all()[:50]})


def prefecture_detail(request, code):
    return render(request, "regions/prefecture_detail.html", {"prefecture": get_object_or_404(Prefecture, code=code)})


def municipality_detail(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    return render(request, "regions/municipality_detail.html", {"municipality": municipality})
