from labelwell.cli import main

main()
