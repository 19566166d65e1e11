"""Local APIM management-plane emulator (ARM REST over HTTPS on loopback). Imports nothing from the client side."""
