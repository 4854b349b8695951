// The OrderBook module.
