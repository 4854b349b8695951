let serveCommand = Command(name: "serve", summary: "all-in-one daemon", usage: "usage: quotecast serve\n", run: { _ in 0 })
