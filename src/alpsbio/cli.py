"""The ``alpsbio`` command: Django's management commands with the project's settings.

``alpsbio serve`` starts the platform (migrating and loading the demo on first run),
``alpsbio import-…``, ``alpsbio match …``, ``alpsbio schedule …``, ``alpsbio analysis …`` and
``alpsbio funding …`` are management commands of the apps; ``alpsbio help`` lists them all.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpsbio.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "alpsbio"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
