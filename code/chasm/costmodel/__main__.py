"""``python -m chasm.costmodel``: print the frontier table."""

from chasm.costmodel import main

raise SystemExit(main())
