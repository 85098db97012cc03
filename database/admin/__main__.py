from database.admin import main

raise SystemExit(main())
