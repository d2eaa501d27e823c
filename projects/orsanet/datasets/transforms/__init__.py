"""transforms of ORSANet-MM."""
