"""The shipped workout routines (YAML), installed as package data `formcoach.routines`."""
