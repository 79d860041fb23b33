"""`python -m tf_contrib_bayesflow.migrate`: see `--help`."""
import sys

from tf_contrib_bayesflow.migrate import main

if __name__ == "__main__":
    sys.exit(main())
