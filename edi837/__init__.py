"""edi837: screen X12 837 claims for payer S-code rules before they reach the payer."""

__version__ = "0.1.0"
