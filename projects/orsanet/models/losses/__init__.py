"""losses of ORSANet-MM."""
