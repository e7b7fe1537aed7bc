"""`python -m boardpapers ...` is the `boardpapers` command."""

import sys

from boardpapers.cli import main

sys.exit(main())
