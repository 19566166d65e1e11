"""JSON Schemas for the hand-written YAML inputs (package data, also usable by editors)."""
