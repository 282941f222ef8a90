from djmig.cli import main

raise SystemExit(main())
