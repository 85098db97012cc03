from database.cli import main

raise SystemExit(main())
