"""The benchmark's peers: what Corkboard's fan-out is measured against, in the same run."""
