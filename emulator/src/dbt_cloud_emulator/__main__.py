import sys

from dbt_cloud_emulator.cli import main

sys.exit(main())
