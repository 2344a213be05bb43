"""Entry point of ``accelerate launch -m training`` (and ``python -m training``)."""

import sys

from training.train import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m training"))
