"""Resilience suite: retries, rate limits, timeouts, cancellation, lifecycle and log safety."""
