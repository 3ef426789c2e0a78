"""Model weights from installed packages: resolve, join, convert and load them."""
