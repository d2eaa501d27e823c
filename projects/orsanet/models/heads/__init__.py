"""heads of ORSANet-MM."""
