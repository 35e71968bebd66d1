import sys

from sleepscorer.cli import main

sys.exit(main())
