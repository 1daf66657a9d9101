import pkgutil
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError


def _areas() -> dict:
    """Each app may offer a benchmark in its bench.py, and more in its benches/ package, each named by its AREA."""
    found = {}
    for app in apps.get_app_configs():
        names = [f"{app.name}.bench"]
        try:
            package = import_module(f"{app.name}.benches")
            names += [f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)]
        except ModuleNotFoundError as error:
            if error.name != f"{app.name}.benches":
                raise
        for name in names:
            try:
                module = import_module(name)
            except ModuleNotFoundError as error:
                if error.name != name:
                    raise
                continue
            found[module.AREA] = module
    return found


class Command(BaseCommand):
    help = "Print benchmark figures for an area, with ratios against a baseline measured in the same run."

    def add_arguments(self, parser) -> None:
        parser.add_argument("area")
        parser.add_argument("--size", type=int, default=None, help="rows to measure at (default: the area's)")

    def handle(self, *args, area: str, size: int, **options) -> None:
        areas = _areas()
        if area not in areas:
            raise CommandError(f"unknown area {area!r}; choose from: {', '.join(sorted(areas))}")
        size = size if size is not None else getattr(areas[area], "DEFAULT_SIZE", 100_000)
        if size < 1:
            raise CommandError("--size must be at least 1")
        areas[area].run(size, self.stdout.write)
