"""Engines that run the screening steps elsewhere than in one process (Spark)."""
