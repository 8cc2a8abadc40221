"""Tooling for instructors and CI (not needed by learners): run lessons headless, grade, map objectives."""
