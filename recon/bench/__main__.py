from recon.bench import main

raise SystemExit(main())
