"""The shipped exercise specs (one YAML file each), installed as package data `formcoach.exercise_specs`."""
