"""Population analytics (issue 6): the pure algorithms live in ``algorithms``."""
