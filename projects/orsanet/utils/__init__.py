"""utils of ORSANet-MM."""
