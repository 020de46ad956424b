"""The decision-support core: pure Python, with no dependency on Django or a database."""
