"""Local emulators apiops is tested and demonstrated against; they import nothing from ``apiops_core``.

Why a package of its own: the emulators are written from Microsoft's published REST references,
never from our client code, so one shared mistake cannot pass on both sides. Keeping them beside
``apiops_core`` (installed by the same project) makes that boundary a package boundary, checked by
``tests/test_layers.py``.

- ``apim/``: the APIM management plane over HTTPS on loopback (``Emulator``; ``apiops emulator``).
- ``devops/``: an in-memory Azure DevOps Git API (``DevOpsApp``), mountable on the APIM emulator's
  server or run alone (``AppServer``).
- ``http``: the request/response types and the ``App`` protocol both sides speak.

This module imports nothing, so ``apiops_emulator.devops`` does not load the APIM emulator.
"""
