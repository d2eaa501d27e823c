"""apis of ORSANet-MM."""
