"""Tools built on the data layer: legacy import and export, moving imported files to legacy/."""
