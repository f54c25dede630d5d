"""Developer tools for formcoach (not part of the runtime package)."""
