"""``python -m descend``: the same command as ``descend``."""

from descend.cli import main

if __name__ == "__main__":
    main()
