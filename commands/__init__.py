"""The command line's commands (cli.py is the entry point): parser, shared helpers, output formats, one module per
group of commands."""
