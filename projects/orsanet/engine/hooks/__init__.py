"""hooks of ORSANet-MM."""
