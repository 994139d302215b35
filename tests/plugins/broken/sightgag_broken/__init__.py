"""A plugin whose import fails, as one with a missing dependency or a syntax slip would."""

raise ImportError("sightgag_broken needs the 'unobtainium' package, which is not installed")
