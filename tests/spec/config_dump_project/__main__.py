"""Record PULUMI_CONFIG exactly as the language host set it (the file named by SSOPROV_TEST_CONFIG_DUMP)."""

import os
from pathlib import Path

Path(os.environ["SSOPROV_TEST_CONFIG_DUMP"]).write_text(os.environ["PULUMI_CONFIG"], encoding="utf-8")
