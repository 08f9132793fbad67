"""Fault injection with real processes: a Redis the test kills, a database behind a proxy."""
