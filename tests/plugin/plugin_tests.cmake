# Plugin host tests.
