"""The converter's version, written into every model.json as `convertedBy`."""

__version__ = "0.1.0"
CONVERTED_BY = f"tfjs-export v{__version__}"
