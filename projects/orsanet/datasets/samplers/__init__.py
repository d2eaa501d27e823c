"""samplers of ORSANet-MM."""
