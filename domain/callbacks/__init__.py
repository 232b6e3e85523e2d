"""Signed callbacks: a task's outcome POSTed to its callback URL, retried, dead-lettered."""
