"""nucleate: predict heterogeneous nucleation from the interfacial liquid."""

__version__ = "0.1.0"
