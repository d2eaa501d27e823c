"""classifiers of ORSANet-MM."""
