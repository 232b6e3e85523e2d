import sys

from signalyard.cli import main

sys.exit(main())
