print("quotecast")
