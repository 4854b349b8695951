import Feed
import Market
import OrderBook

/// `--reference-prices FILE` (serve, feed, book): the previous closes day statistics compare against.
enum ReferencePricesFlag {
    static let name = "reference-prices"

    static let usage = """
          --reference-prices FILE  previous closes for change and change %: CSV lines 'symbol,price'
                                 (AAPL,189.25); without it an instrument's reference is its opening cross
        """

    /// The book configuration with the file's prices, if the flag was given; a bad file is a usage
    /// error naming the flag and the line.
    static func bookConfiguration(_ args: Arguments) throws(UsageError) -> BookConfiguration {
        var configuration = BookConfiguration()
        guard let path = args.string(name) else { return configuration }
        do {
            configuration.referencePrices = try ReferencePriceFile.load(path: path)
        } catch {
            throw UsageError("--\(name): \(error.description)")
        }
        return configuration
    }
}
