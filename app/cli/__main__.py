"""``python -m app.cli``: the ``clipdesk`` command line."""

import sys

from app.cli import main

sys.exit(main())
