"""Electronic signatures (21 CFR 11.50, 11.70, 11.100, 11.200), shared by every feature."""
