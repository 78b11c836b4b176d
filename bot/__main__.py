"""`python -m bot`: see bot/app/cli.py and README.md."""

import sys

from bot.app.cli import main

sys.exit(main())
