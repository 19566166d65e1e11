"""apiops: APIOps for Azure API Management."""
