"""Every write to the domain: one function per change, each recording its events."""
