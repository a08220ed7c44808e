"""Detection-as-code tooling: validate detection packages in seven SIEM query languages."""

__version__ = "0.1.0"

# Where the documentation site is published; diagnostics link to their page under it.
SITE_URL = "https://detections.example/"
