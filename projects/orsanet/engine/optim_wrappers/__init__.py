"""optim_wrappers of ORSANet-MM."""
