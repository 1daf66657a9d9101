"""Entry points for demo_data's worker processes. Nothing here imports models at import time: a spawned
worker imports this module before Django is set up."""

_START_FAILED: list[BaseException] = []


def start(search_path: str) -> None:
    """Set Django up in the worker and write where the parent writes (the bench's schema, for instance)."""
    try:
        import django

        django.setup()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('search_path', %s, false)", [search_path])
    except BaseException as error:  # reported with the first batch: a pool would restart a dying worker forever
        _START_FAILED.append(error)


def batch(job: tuple) -> tuple[int, object]:
    if _START_FAILED:
        return 0, RuntimeError(f"demo data worker could not start: {_START_FAILED[0]!r}")
    from django.core.exceptions import ValidationError

    from members import bulk
    from members.management.commands.demo_data import demo_batch

    try:
        with bulk.query_log_off():
            return demo_batch(job)
    except ValidationError as error:
        return 0, ValidationError(str(error))
    except Exception as error:  # handed to the parent, which stops the run with it
        return 0, RuntimeError(f"demo data worker failed: {error!r}")
