"""visualization of ORSANet-MM."""
