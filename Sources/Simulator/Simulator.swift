// The Simulator module.
