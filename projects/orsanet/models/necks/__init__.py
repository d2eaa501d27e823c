"""necks of ORSANet-MM."""
