from shouldtune.cli import main

main()
