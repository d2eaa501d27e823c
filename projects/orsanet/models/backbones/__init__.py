"""backbones of ORSANet-MM."""
