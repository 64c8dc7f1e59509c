"""Bytes to pages, pages to fields: sniffing, page preparation, token estimates, engines, merge."""
