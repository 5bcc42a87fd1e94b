import sys

from chasm.cli import main

sys.exit(main())
