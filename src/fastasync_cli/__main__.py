from fastasync_cli.cli import main

main()
