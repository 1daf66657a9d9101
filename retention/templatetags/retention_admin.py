from django import template

from retention import selectors

register = template.Library()


@register.inclusion_tag("retention/last_sweep_panel.html")
def last_sweep_panel() -> dict:
    """The last retention sweep's result, or its failure, on the admin index."""
    return {"run": selectors.last_sweep()}
