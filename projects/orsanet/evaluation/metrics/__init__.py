"""metrics of ORSANet-MM."""
