"""`python -m cobot` is the `cobot` command."""

import sys

from cobot.cli import main

sys.exit(main())
