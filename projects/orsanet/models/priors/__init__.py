"""priors of ORSANet-MM."""
