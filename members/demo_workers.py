"""Entry points for worker processes (demo_data's batches, bench members' concurrent sign-ups). Nothing here
imports models at import time: a spawned worker imports this module before Django is set up."""

_START_FAILED: list[BaseException] = []


def start(search_path: str, database: str | None = None) -> None:
    """Set Django up in the worker and write where the parent writes: the same database (a test run's test
    database, whose name the settings do not hold) and schema (the bench's, for instance)."""
    try:
        import django

        django.setup()
        from django.db import connection

        if database:
            connection.settings_dict["NAME"] = database
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


def sign_ups(job: tuple) -> tuple[int, float, float]:
    """bench members: member_create without a password hash for each row, each in its own transaction (as a
    sign-up request is), started when `start_at` (time.time()) comes; returns (count, started, ended)."""
    import time

    from django.db import connections, transaction

    from members import bulk, services

    rows, warm_up, start_at = job
    if _START_FAILED:
        raise RuntimeError(f"bench worker could not start: {_START_FAILED[0]!r}")
    with bulk.query_log_off():
        with transaction.atomic():  # connected, keys and validators loaded; nothing kept
            for row in warm_up:
                services.member_create(password=None, **row)
            transaction.set_rollback(True)
        time.sleep(max(0.0, start_at - time.time()))
        started = time.time()
        for row in rows:
            services.member_create(password=None, **row)
        ended = time.time()
    connections.close_all()  # before the pool ends the process: the bench's schema is dropped next
    return len(rows), started, ended
