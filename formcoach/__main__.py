"""`python -m formcoach` = the `formcoach` command."""

import sys

from formcoach.cli import main

sys.exit(main())
