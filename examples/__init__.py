"""Examples for integrators: a socket follower and a webhook receiver."""
