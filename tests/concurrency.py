"""Calls run at the same moment on threads of their own, each with its own database connection."""

import threading

from django.db import connections


def at_once(*calls):
    """Run each call on a thread of its own, started together; (results, errors) in call order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(position, call):
        try:
            barrier.wait()
            results[position] = call()
        except Exception as error:  # returned to the test, which asserts on it
            errors[position] = error
        finally:
            for connection in connections.all():
                connection.close()

    threads = [threading.Thread(target=run, args=(position, call)) for position, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
