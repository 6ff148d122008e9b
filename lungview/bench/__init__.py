"""Benchmark scripts that print figures (no asserts); ``lungview bench`` runs them."""
