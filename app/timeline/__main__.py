"""``python -m app.timeline``: the timeline with a player on a generated demo project."""

import sys

from app.timeline.view import main

sys.exit(main())
