"""``python -m ember.cli``: the ``ember-data`` command."""

import sys

from . import main

sys.exit(main())
