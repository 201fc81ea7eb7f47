"""Notifications: email (and later signed webhooks and live page updates), in ru and en."""
