import sys

from devstack import main

sys.exit(main(sys.argv[1:]))
