"""One module per ``apiops`` sub-command: ``add_arguments(parser)`` and ``run(args, context) -> int``.

Commands are thin: they turn options into objects, call one engine, and print its result.
"""
