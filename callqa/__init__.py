"""callqa: score every recorded contact-centre call, offline."""

__version__ = "0.1.0"
