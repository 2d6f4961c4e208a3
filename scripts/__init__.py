"""The `ztc` command line and the offline engine."""
